#!/usr/bin/env python3
"""TorchScript fixture for `--model FILE.pt` (predict, eval, batch): the file the Python pipeline's
conversion step writes for a C++ service.

Writes to core/src/test/resources/torchscript/ (or --out):
  repvgg_deploy.pt      torch.jit.trace of a small RepVGG in deploy form (official structure,
                        random weights and BN statistics folded in), 3 classes, 32x32 input
  repvgg_deploy.safetensors  the same deploy weights with the official key names, so a test can
                        import them with `repvgg import` and compare both routes
  input.npy             (4, 3, 32, 32) float32 input
  logits.npy            PyTorch's logits for input.npy
  classes.txt           the class file (three names)

Run with Debian's PyTorch: /usr/bin/python3 tools/torchscript_fixture.py
"""
import argparse
import os

import numpy as np
import torch

import torch_reference as ref

SPEC = {"depths": [1, 1, 1, 1], "widths": [0.125, 0.125, 0.125, 0.25]}
CLASSES = ["circle", "square", "triangle"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(ref.REPO, "core", "src", "test", "resources", "torchscript"))
    args = ap.parse_args()
    torch.set_num_threads(2)
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    train = ref.randomize(ref.build(SPEC, len(CLASSES)), seed=7)
    deploy = ref.to_deploy(train).eval()
    x = torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        traced = torch.jit.trace(deploy, x[:1])
        logits = deploy(x)
        assert torch.allclose(traced(x), logits, atol=1e-6)
    traced.save(os.path.join(args.out, "repvgg_deploy.pt"))
    ref.write_safetensors(os.path.join(args.out, "repvgg_deploy.safetensors"),
                          {k: v for k, v in deploy.state_dict().items()})
    ref.save_npy(os.path.join(args.out, "input.npy"), x.numpy())
    ref.save_npy(os.path.join(args.out, "logits.npy"), logits.numpy())
    with open(os.path.join(args.out, "classes.txt"), "w") as f:
        f.write("".join("%s %d\n" % (c, i) for i, c in enumerate(CLASSES)))
    print("wrote %s: max |logit| %.3f" % (args.out, float(logits.abs().max())))


if __name__ == "__main__":
    main()
