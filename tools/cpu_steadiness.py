#!/usr/bin/env python3
"""How steady the machine's cores are: one busy loop per core for SECONDS, counting the loop's passes
in each 50 ms window. On a machine of its own every window of a core counts about the same; a virtual
machine whose host lends the core elsewhere shows windows far below the median, often several in a row.
Such a stretch slows any forward pass that runs then, whatever the server does, and a latency
percentile over a short run can be made of it.

Usage: python3 tools/cpu_steadiness.py [SECONDS=30] [PROCESSES=number of cores]
"""
import multiprocessing
import os
import statistics
import sys
import time

WINDOW_S = 0.05


def core(seconds, out):
    counts = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.monotonic()
        n = 0
        while time.monotonic() - start < WINDOW_S:
            for _ in range(1000):
                pass
            n += 1
        counts.append(n)
    out.put(counts)


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    processes = int(sys.argv[2]) if len(sys.argv) > 2 else os.cpu_count()
    out = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=core, args=(seconds, out)) for _ in range(processes)]
    for w in workers:
        w.start()
    results = [out.get() for _ in workers]
    for w in workers:
        w.join()
    for i, counts in enumerate(results):
        median = statistics.median(counts)
        slow = [j for j, c in enumerate(counts) if c < 0.75 * median]
        longest = run = 0
        for j in range(len(counts)):
            run = run + 1 if j in set(slow) else 0
            longest = max(longest, run)
        print(f"loop {i}: {len(counts)} windows of {WINDOW_S * 1000:.0f} ms; slowest window {min(counts) / median:.2f} of the"
              f" median; {len(slow)} windows ({100 * len(slow) / len(counts):.1f}%) below 0.75 of it; longest stretch"
              f" {longest * WINDOW_S * 1000:.0f} ms")


if __name__ == "__main__":
    main()
