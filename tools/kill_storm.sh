#!/usr/bin/env bash
# Kill storm for `repvgg batch` (issue 27, docs/reliability.md): scores a few thousand small images in
# three shards once without interruption, then again under N `kill -9`s at random moments, rerunning
# the same command until it finishes; checks that every list line has exactly one row (0 lost, 0
# duplicated), that the rows are in list order, and that the scores equal the uninterrupted run's.
# During the first interrupted run it also starts a second `batch` into the same folder, which must be
# refused (exit 1) by the folder lock.
# Usage: tools/kill_storm.sh [N=5] [IMAGES=6000]   (WORK=/tmp/repvgg-kill-storm, SEED=1)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
kills="${1:-5}"
count="${2:-6000}"
work="${WORK:-/tmp/repvgg-kill-storm}"
RANDOM="${SEED:-1}"
repvgg() { "$here/repvgg" "$@"; }
mkdir -p "$work"

# Images: 32x32 RGB PNGs written with zlib alone (no imaging library needed), each different.
if [[ ! -f "$work/lists/c.txt" ]]; then
  python3 - "$work" "$count" <<'PY'
import os, random, struct, sys, zlib
work, count = sys.argv[1], int(sys.argv[2])
os.makedirs(f"{work}/images", exist_ok=True)
os.makedirs(f"{work}/lists", exist_ok=True)
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
rng = random.Random(0)
paths = []
for i in range(count):
    rows = b"".join(b"\0" + bytes(rng.randrange(256) for _ in range(32 * 3)) for _ in range(32))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 32, 32, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    path = f"{work}/images/{i:05d}.png"
    with open(path, "wb") as f:
        f.write(png)
    paths.append(path)
third = (count + 2) // 3
for name, part in zip("abc", (paths[:third], paths[third:2 * third], paths[2 * third:])):
    with open(f"{work}/lists/{name}.txt", "w") as f:
        f.write("".join(p + "\n" for p in part))
PY
fi
if [[ ! -f "$work/model/model.json" ]]; then
  repvgg init --arch A0 --classes 10 --image-size 32 --out "$work/model.train" >/dev/null
  repvgg convert --model "$work/model.train" --out "$work/model" >/dev/null
fi

args=(batch --model "$work/model" --list "$work/lists" --batch-size 8 --workers 1 --engine pytorch --quiet)
rm -rf "$work/reference" "$work/stormed" "$work/stormed.log" "$work/second.log"
start=$(date +%s.%N)
repvgg "${args[@]}" --out "$work/reference" >/dev/null
echo "uninterrupted: $(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')") s"

rows_so_far() { cat "$work"/stormed/*.csv 2>/dev/null | grep -vc '^path,' || true; }

landed=0
refused=""
runs=0
for ((k = 1; k <= kills; k++)); do
  # Not through a shell function: $! must be the JVM itself (the launcher execs java), or kill -9
  # would hit a subshell and leave the batch running.
  "$here/repvgg" "${args[@]}" --out "$work/stormed" >>"$work/stormed.log" 2>&1 &
  pid=$!
  runs=$((runs + 1))
  if [[ $k == 1 ]]; then
    # The lock: a second run into the same folder while this one holds it.
    while kill -0 "$pid" 2>/dev/null && [[ ! -s "$work/stormed/.repvgg.lock" ]]; do sleep 0.05; done
    if "$here/repvgg" "${args[@]}" --out "$work/stormed" >"$work/second.log" 2>&1; then refused="no (exit 0)"
    else refused="yes (exit $?): $(tail -n 1 "$work/second.log")"; fi
  fi
  # A random moment while rows are being written: once this run has added a row, 0 to 1.5 s later.
  before=$(rows_so_far)
  while kill -0 "$pid" 2>/dev/null && [[ "$(rows_so_far)" -le "$before" ]]; do sleep 0.05; done
  sleep "$(python3 -c "print($RANDOM / 32767 * 1.5)")"
  if kill -9 "$pid" 2>/dev/null; then
    landed=$((landed + 1))
    wait "$pid" 2>/dev/null || true
    echo "kill $k: $(rows_so_far) rows written so far (this run added $(( $(rows_so_far) - before )))"
  fi
  wait "$pid" 2>/dev/null || true
done
# The same command once more finishes what the kills left.
if ! repvgg "${args[@]}" --out "$work/stormed" >>"$work/stormed.log" 2>&1; then
  echo "the final run failed; see $work/stormed.log" >&2
  exit 1
fi
runs=$((runs + 1))

if grep -q "in use by another run" "$work/stormed.log"; then
  echo "a stormed run found the folder locked: a killed run was still alive; see $work/stormed.log" >&2
  exit 1
fi

python3 - "$work" "$kills" "$landed" "$runs" "$refused" <<'PY'
import csv, sys
import numpy as np
work, kills, landed, runs, refused = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
lost = duplicated = misplaced = 0
worst = 0.0
rows = 0
for shard in "abc":
    lines = [l.rstrip("\n") for l in open(f"{work}/lists/{shard}.txt") if l.strip()]
    got = [r[0] for r in csv.reader(open(f"{work}/stormed/{shard}.csv"))][1:]
    want = [r[0] for r in csv.reader(open(f"{work}/reference/{shard}.csv"))][1:]
    rows += len(got)
    lost += len(set(lines) - set(got))
    duplicated += len(got) - len(set(got))
    misplaced += sum(1 for a, b in zip(got, want) if a != b)
    a = np.load(f"{work}/stormed/{shard}.npy")
    b = np.load(f"{work}/reference/{shard}.npy")
    assert a.shape == b.shape == (len(lines), 10), (a.shape, b.shape)
    worst = max(worst, float(np.abs(a - b).max()))
print(f"kill -9 sent: {kills}, landed on a running batch: {landed}; runs in all: {runs}")
print(f"second run into the same folder refused: {refused}")
print(f"rows: {rows}; lost: {lost}, duplicated: {duplicated}, out of order: {misplaced}; "
      f"max |score - uninterrupted score|: {worst:.2e}")
sys.exit(0 if lost == duplicated == misplaced == 0 and worst <= 1e-6 and refused.startswith("yes") else 1)
PY
