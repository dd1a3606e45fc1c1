#!/usr/bin/python3
"""PyTorch's side of the training-speed comparison: images/s of full training steps.

Builds RepVGG (train form) with tools/torch_reference.py's own copy of the official module
structure and times forward + label-smoothed cross-entropy + backward + SGD (Nesterov momentum
0.9, weight decay 1e-4) on a fixed random batch -- the same work `repvgg bench --train-step`
times in Java. Run with Debian's python3-torch (PyTorch 1.13): /usr/bin/python3.

    /usr/bin/python3 tools/compare_training_speed.py --batch 32 --size 224 --threads 2

With --ours followed by a `repvgg bench --train-step` command line, the two take turns step by
step: ours runs one step (it waits for a line on its standard input, `--lockstep`), then PyTorch
runs one, and so on, with the order swapped on every other step so that neither side always
follows the other. Both are then timed through the same moments of a shared machine's load,
which back-to-back runs are not. Prints ours' JSON line, then PyTorch's with `paired_ratio`: the
median over the timed pairs of PyTorch's step time over ours'.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

from torch_reference import build

A0 = {"depths": [2, 4, 14, 1], "widths": [0.75, 0.75, 0.75, 2.5]}


def training_step(args):
    """A function that runs one timed training step and returns its milliseconds."""
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

    def step():
        start = time.perf_counter()
        sgd.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
        forwarded = time.perf_counter()
        loss.backward()
        loss.item()
        backwarded = time.perf_counter()
        sgd.step()
        end = time.perf_counter()
        # CPU operators run to their end before returning, so these clocks split the step.
        phases.append(((forwarded - start) * 1000, (backwarded - forwarded) * 1000, (end - backwarded) * 1000))
        return (end - start) * 1000

    phases = []
    step.phases = phases
    return step


class Ours:
    """Our `bench --train-step --lockstep` as a child process, one step per request."""

    def __init__(self, command, args):
        self.proc = subprocess.Popen(
            command + ["--batch-size", str(args.batch), "--image-size", str(args.size), "--classes", str(args.classes),
                       "--warmup", str(args.warmup), "--iterations", str(args.iterations),
                       "--gemm-size", "0", "--lockstep", "--json"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def step(self, i):
        self.proc.stdin.write("step\n")
        self.proc.stdin.flush()
        for line in self.proc.stdout:
            if line.startswith("lockstep "):
                _, n, ms = line.split()
                if int(n) != i:
                    sys.exit(f"ours reported step {n}, expected {i}")
                return float(ms)
        sys.exit(f"ours ended before step {i} (exit code {self.proc.wait()}; its messages are above)")

    def result(self):
        out, _ = self.proc.communicate()
        if self.proc.returncode != 0:
            sys.exit(f"ours failed with exit code {self.proc.returncode}")
        return json.loads([line for line in out.splitlines() if line.startswith("{")][-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--classes", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--iterations", type=int, default=5)
    ap.add_argument("--ours", nargs=argparse.REMAINDER,
                    help="the rest of the line: a `repvgg bench --train-step --arch A0` command to take turns with")
    args = ap.parse_args()
    ours = Ours(args.ours, args) if args.ours else None
    step = training_step(args)
    times, ours_times = [], []
    for i in range(args.warmup + args.iterations):
        ours_first = i % 2 == 0
        if ours and ours_first:
            mine = ours.step(i)
        ms = step()
        if ours and not ours_first:
            mine = ours.step(i)
        if i >= args.warmup:
            times.append(ms)
            if ours:
                ours_times.append(mine)
    median = statistics.median(times)
    theirs = {"model": "RepVGG-A0", "form": "train-step", "engine": "pytorch-python " + torch.__version__,
              "batch": args.batch, "threads": args.threads, "input_size": args.size,
              "median_ms": round(median, 2), "min_ms": round(min(times), 2),
              "images_per_s": round(args.batch * 1000 / median, 2),
              "run_ms": [round(t, 2) for t in times],
              "phases_median_ms": {name: round(statistics.median(p[k] for p in step.phases[args.warmup:]), 2)
                                   for k, name in enumerate(("forward_and_loss", "backward", "update"))},
              "onednn_isa": os.environ.get("ONEDNN_MAX_CPU_ISA") or "(unset)"}
    if ours:
        print(json.dumps(ours.result()))
        theirs["paired_ratio"] = round(statistics.median(t / o for t, o in zip(times, ours_times)), 4)
    print(json.dumps(theirs))


if __name__ == "__main__":
    main()
