#!/usr/bin/env python3
"""What the slowest 1% of a `repvgg bench serve --log FILE` run are made of. Per run (one client count):
p99 over the mean forward pass, and for the requests at or above the p99 their mean queue wait,
forward pass and batch size against everyone's; then the stretches where forward passes ran slow
(ms per image at least 1.5x the run's median for batches of 8 or more), as times after the run began.

Usage: python3 tools/serve_tail.py requests.csv
"""
import csv
import statistics
import sys
from collections import defaultdict


def p99(values):
    ordered = sorted(values)
    return ordered[max(0, -(-99 * len(ordered) // 100) - 1)]


def main(path):
    runs = defaultdict(list)
    order = []
    with open(path) as f:
        for row in csv.DictReader(f):
            key = (row["run"], row["clients"])
            if key not in runs:
                order.append(key)
            runs[key].append(row)
    for run, clients in order:
        ok = [r for r in runs[(run, clients)] if r["status"] == "200" and r["inference_ms"] != "NaN"]
        if not ok:
            print(f"run {run}, {clients} clients: no answered request")
            continue
        number = lambda r, k: float(r[k])
        forward = statistics.mean(number(r, "inference_ms") for r in ok)
        tail_from = p99([number(r, "latency_ms") for r in ok])
        tail = [r for r in ok if number(r, "latency_ms") >= tail_from]
        print(f"run {run}, {clients} clients, {len(ok)} answered: p99 {tail_from:.1f} ms = {tail_from / forward:.2f} x the mean forward"
              f" pass ({forward:.1f} ms)")
        for key, name in (("queue_ms", "queued ms"), ("inference_ms", "forward ms"), ("batch", "batch")):
            print(f"  {name:>10}: slowest 1% {statistics.mean(number(r, key) for r in tail):6.1f}, all"
                  f" {statistics.mean(number(r, key) for r in ok):6.1f}")
        batches = {}
        for r in ok:
            end = number(r, "sent_ms") + number(r, "latency_ms")
            key = (r["inference_ms"], r["batch"])
            batches[key] = min(batches.get(key, end), end - number(r, "inference_ms"))
        per_image = [(start, float(f) / int(b)) for (f, b), start in batches.items() if int(b) >= 8]
        if not per_image:
            continue
        median = statistics.median(v for _, v in per_image)
        slow = sorted(start for start, v in per_image if v >= 1.5 * median)
        print(f"  forward passes of 8+ images at 1.5x the median ms per image or slower: {len(slow)} of {len(per_image)}"
              + (f", starting at {', '.join(f'{s / 1000:.2f}' for s in slow[:12])} s" if slow else ""))


if __name__ == "__main__":
    main(sys.argv[1])
