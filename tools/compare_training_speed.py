#!/usr/bin/python3
"""PyTorch's side of the training-speed comparison: images/s of full training steps.

Builds RepVGG (train form) with tools/torch_reference.py's own copy of the official module
structure and times forward + label-smoothed cross-entropy + backward + SGD (Nesterov momentum
0.9, weight decay 1e-4) on a fixed random batch -- the same work `repvgg bench --train-step`
times in Java. Run with Debian's python3-torch (PyTorch 1.13): /usr/bin/python3.

    /usr/bin/python3 tools/compare_training_speed.py --batch 32 --size 224 --threads 2
"""
import argparse
import json
import os
import statistics
import time

import torch
import torch.nn.functional as F

from torch_reference import build

A0 = {"depths": [2, 4, 14, 1], "widths": [0.75, 0.75, 0.75, 2.5]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--classes", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--iterations", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = build(A0, args.classes).train()
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if name.endswith(".bias") or ".bn." in name or "rbr_identity" in name else decay).append(p)
    sgd = torch.optim.SGD([{"params": decay, "weight_decay": 1e-4}, {"params": no_decay, "weight_decay": 0}],
                          lr=0.01, momentum=0.9, nesterov=True)
    x = torch.randn(args.batch, 3, args.size, args.size)
    y = torch.randint(0, args.classes, (args.batch,))
    times = []
    for i in range(args.warmup + args.iterations):
        start = time.perf_counter()
        sgd.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
        loss.backward()
        sgd.step()
        loss.item()
        if i >= args.warmup:
            times.append((time.perf_counter() - start) * 1000)
    median = statistics.median(times)
    print(json.dumps({"model": "RepVGG-A0", "form": "train-step", "engine": "pytorch-python " + torch.__version__,
                      "batch": args.batch, "threads": args.threads, "input_size": args.size,
                      "median_ms": round(median, 2), "min_ms": round(min(times), 2),
                      "images_per_s": round(args.batch * 1000 / median, 2),
                      "onednn_isa": os.environ.get("ONEDNN_MAX_CPU_ISA") or "(unset)"}))


if __name__ == "__main__":
    main()
