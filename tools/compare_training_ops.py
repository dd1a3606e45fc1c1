#!/usr/bin/python3
"""Where a training step's time goes, per libtorch operator, ours against PyTorch's.

Runs the same training step as tools/compare_training_speed.py (RepVGG-A0 train form, label-smoothed
cross-entropy, backward, Nesterov SGD, a fixed random batch) on both sides under libtorch's operator
profiler: ours through `repvgg bench --train-step --trace FILE`, PyTorch's (Debian's PyTorch 1.13)
with torch.autograd.profiler. Reads both Chrome traces the same way and prints, per operator name,
the self time per step on each side (an operator's time minus the operators it called), the calls
per step, and the difference, largest first. The profiler costs time of its own on both sides, so
read differences between the columns, not the absolute step times.

    /usr/bin/python3 tools/compare_training_ops.py --batch 32 --size 32 --classes 10 --threads 2

The two sides run one after the other (ours first), each with --warmup steps before --iterations
profiled ones, and with the launcher's OpenMP and malloc settings (tools/runtime_env.sh).
"""
import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def self_times(trace_path):
    """Per operator name: (summed self microseconds, calls) over every profiled event in the trace."""
    with open(trace_path) as f:
        data = json.load(f)
    events = data["traceEvents"] if isinstance(data, dict) else data
    by_thread = collections.defaultdict(list)
    for e in events:
        if e.get("ph") != "X" or "dur" not in e:
            continue
        # PyTorch's own trace also holds Python-level and profiler-internal events; libtorch's
        # operators and autograd's backward nodes are what both sides share.
        if e.get("cat") not in (None, "cpu_op", "Operator"):
            continue
        by_thread[(e.get("pid"), e.get("tid"))].append((float(e["ts"]), float(e["dur"]), e["name"]))
    total = collections.defaultdict(float)
    calls = collections.Counter()
    for spans in by_thread.values():
        spans.sort(key=lambda s: (s[0], -s[1]))
        stack = []  # [end, name, child time]
        for ts, dur, name in spans:
            while stack and stack[-1][0] <= ts:
                end, done, children = stack.pop()
                total[done] -= children
            if stack:
                stack[-1][2] += dur
            total[name] += dur
            calls[name] += 1
            stack.append([ts + dur, name, 0.0])
        while stack:
            end, done, children = stack.pop()
            total[done] -= children
    return total, calls


def ours(args, trace):
    env = dict(os.environ)
    env["REPVGG_JAVA_OPTS"] = f"-Dai.djl.pytorch.num_threads={args.threads} " + env.get("REPVGG_JAVA_OPTS", "")
    cmd = [os.path.join(REPO, "repvgg"), "bench", "--train-step", "--arch", "A0", "--batch", str(args.batch),
           "--image-size", str(args.size), "--classes", str(args.classes), "--warmup", str(args.warmup),
           "--iterations", str(args.iterations), "--trace", trace]
    done = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        sys.exit(f"compare_training_ops: ours failed:\n{done.stdout[-2000:]}")
    return [line for line in done.stdout.splitlines() if "median per step" in line]


def pytorch(args, trace):
    import torch
    from compare_training_speed import training_step
    step = training_step(args)
    for _ in range(args.warmup):
        step()
    with torch.autograd.profiler.profile(record_shapes=True) as prof:
        for _ in range(args.iterations):
            step()
    prof.export_chrome_trace(trace)
    return step.phases[args.warmup:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=60,
                    help="steps before the profiled ones (ours' JVM compiles its hot code during the first tens)")
    ap.add_argument("--iterations", type=int, default=10)
    ap.add_argument("--top", type=int, default=25, help="operators to print (largest difference first)")
    ap.add_argument("--keep", help="a folder to keep both traces in (ours.json, pytorch.json)")
    args = ap.parse_args()

    folder = args.keep or tempfile.mkdtemp(prefix="training-ops-")
    os.makedirs(folder, exist_ok=True)
    ours_trace, torch_trace = os.path.join(folder, "ours.json"), os.path.join(folder, "pytorch.json")
    sys.path.insert(0, HERE)
    for line in ours(args, ours_trace):
        print("ours:", line)
    phases = pytorch(args, torch_trace)
    print("PyTorch: median per step: forward and loss %.1f ms, backward %.1f ms, update %.1f ms"
          % tuple(statistics.median(p[i] for p in phases) for i in range(3)))

    n = args.iterations
    a, a_calls = self_times(ours_trace)
    b, b_calls = self_times(torch_trace)
    names = set(a) | set(b)
    rows = sorted(names, key=lambda k: -abs(a.get(k, 0) - b.get(k, 0)))
    print(f"\nself time per step under the profiler, batch {args.batch} at {args.size}x{args.size}, "
          f"{args.threads} threads, {n} steps each (traces: {folder})")
    print(f"{'operator':44s} {'ours ms':>9s} {'PyTorch ms':>10s} {'ours-PT':>8s} {'calls ours/PT':>14s}")
    for k in rows[: args.top]:
        print(f"{k[:44]:44s} {a.get(k, 0) / n / 1000:9.2f} {b.get(k, 0) / n / 1000:10.2f} "
              f"{(a.get(k, 0) - b.get(k, 0)) / n / 1000:8.2f} {a_calls[k] / n:7.0f}/{b_calls[k] / n:<6.0f}")
    print(f"{'all operators':44s} {sum(a.values()) / n / 1000:9.2f} {sum(b.values()) / n / 1000:10.2f} "
          f"{(sum(a.values()) - sum(b.values())) / n / 1000:8.2f} "
          f"{sum(a_calls.values()) / n:7.0f}/{sum(b_calls.values()) / n:<6.0f}")


if __name__ == "__main__":
    main()
