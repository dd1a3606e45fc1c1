#!/usr/bin/python3
"""Writes the TorchScript module NesterovSgd runs its update with, in one call per step.

    /usr/bin/python3 tools/make_nesterov_update.py

Output: core/src/main/resources/org/repvgg4j/train/nesterov_update.pt (committed; the build needs no
Python). The module does what NesterovSgd's per-parameter path does, PyTorch's
SGD(momentum, nesterov=True, weight_decay) update, with `add_(..., alpha=...)` where DJL 0.36 has
no scaled add: five passes over each parameter instead of nine, and one native call instead of about
a dozen per parameter. Run with Debian's python3-torch (PyTorch 1.13); libtorch loads TorchScript
saved by earlier versions.
"""
import os
from typing import List

import torch


class NesterovUpdate(torch.nn.Module):
    def forward(self, weights: List[torch.Tensor], grads: List[torch.Tensor], velocities: List[torch.Tensor],
                decays: List[float], lr: float, momentum: float) -> torch.Tensor:
        with torch.no_grad():
            for i in range(len(weights)):
                g = grads[i]
                if decays[i] != 0.0:
                    g.add_(weights[i], alpha=decays[i])  # g = grad + wd * w
                v = velocities[i]
                v.mul_(momentum).add_(g)  # v = mu * v + g
                g.add_(v, alpha=momentum)  # g + mu * v
                weights[i].add_(g, alpha=-lr)
                g.zero_()  # for the next backward pass
        return torch.zeros(0)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "..", "core", "src", "main", "resources", "org", "repvgg4j", "train",
                       "nesterov_update.pt")
    torch.jit.script(NesterovUpdate()).save(out)
    print(os.path.normpath(out))


if __name__ == "__main__":
    main()
