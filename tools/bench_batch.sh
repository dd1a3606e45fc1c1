#!/usr/bin/env bash
# Batch inference benchmarks (issue 5), numbers for docs/BENCHMARKS.md:
#   throughput  RepVGG-A0 deploy over 2,000 photo-sized JPEGs (500x375), `repvgg batch` end to end
#               (first read to last row written) against the pure model (`repvgg bench`) at the same
#               batch size and engine, measured one after the other in this run.
#   memory      peak resident memory of `repvgg batch` over a 10,000-entry and a 100,000-entry list of
#               small images (A0 deploy at 32x32 input, so 100k images take about a minute).
#   engines     A0 deploy on PyTorch vs ONNX Runtime, batch 1 and 32 (the measurement behind the
#               default engine).
# Usage: tools/bench_batch.sh [throughput|memory|engines|all]   (WORK=/tmp/... BATCH=32 ENGINE=onnxruntime)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="${WORK:-/tmp/repvgg-bench-batch}"
batch="${BATCH:-32}"
engine="${ENGINE:-onnxruntime}"
what="${1:-all}"
repvgg() { "$here/repvgg" "$@"; }
mkdir -p "$work"

field() {  # json key
  python3 -c 'import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])[sys.argv[1]])' "$1"
}

deploy_model() {  # dir size classes
  if [[ ! -f "$1/model.json" ]]; then
    repvgg init --arch A0 --classes "$3" --image-size "$2" --out "$1.train" >/dev/null
    repvgg convert --model "$1.train" --out "$1" >/dev/null
  fi
}

photos() {  # 2,000 JPEGs: 250 distinct plasma-fractal pictures (photo-like JPEG statistics), 8 names each
  local dir="$work/photos"
  if [[ ! -f "$work/photos.txt" ]]; then
    mkdir -p "$dir"
    for i in $(seq 0 249); do
      convert -seed "$i" -size 500x375 plasma:fractal -quality 90 "$dir/p$i-0.jpg"
      for c in 1 2 3 4 5 6 7; do cp "$dir/p$i-0.jpg" "$dir/p$i-$c.jpg"; done
    done
    find "$dir" -name '*.jpg' | sort > "$work/photos.txt"
  fi
}

throughput() {
  photos
  deploy_model "$work/a0" 224 1000
  echo "== A0 deploy, batch $batch, engine $engine, $(wc -l < "$work/photos.txt") JPEGs of 500x375"
  # Warm the page cache so both runs read from memory.
  cat "$work"/photos/*.jpg > /dev/null
  model=$(repvgg bench --arch A0 --form deploy --classes 1000 --batch-size "$batch" --engine "$engine" --warmup 3 \
      --iterations 15 --json 2>/dev/null | tail -1)
  rm -rf "$work/results"
  e2e=$(repvgg batch --model "$work/a0" --lists "$work/photos.txt" --out "$work/results" --batch-size "$batch" \
      --engine "$engine" --json 2>/dev/null | tail -1)
  echo "pure model: $model"
  echo "end to end: $e2e"
  python3 - "$model" "$e2e" <<'PY'
import json, sys
m, e = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"pure model {m['images_per_s']:.1f} img/s, end to end {e['images_per_s']:.1f} img/s "
      f"({e['rows']} images, {e['seconds']:.1f} s): {e['images_per_s'] / m['images_per_s']:.2f} of the model's rate")
PY
}

memory() {
  local dir="$work/small"
  if [[ ! -f "$work/small-100k.txt" ]]; then
    mkdir -p "$dir"
    for i in $(seq 0 99); do convert -seed "$i" -size 48x48 plasma:fractal "$dir/s$i.png"; done
    python3 - "$dir" "$work" <<'PY'
import sys
d, w = sys.argv[1], sys.argv[2]
lines = [f"{d}/s{i % 100}.png" for i in range(100_000)]
open(f"{w}/small-100k.txt", "w").write("\n".join(lines) + "\n")
open(f"{w}/small-10k.txt", "w").write("\n".join(lines[:10_000]) + "\n")
PY
  fi
  deploy_model "$work/a0-32" 32 10
  for n in 10k 100k; do
    rm -rf "$work/results-$n"
    /usr/bin/time -f "%M" -o "$work/rss-$n.txt" "$here/repvgg" batch --model "$work/a0-32" \
        --lists "$work/small-$n.txt" --out "$work/results-$n" --batch-size "$batch" --engine "$engine" --json \
        2>/dev/null | tail -1 > "$work/batch-$n.json"
    echo "$n entries: peak RSS $(( $(cat "$work/rss-$n.txt") / 1024 )) MiB, $(cat "$work/batch-$n.json")"
  done
  python3 -c "
a, b = int(open('$work/rss-10k.txt').read()), int(open('$work/rss-100k.txt').read())
print(f'peak RSS at 100k / at 10k: {b / a:.3f}')"
}

engines() {
  echo "== A0 deploy, PyTorch vs ONNX Runtime (224x224, default threads)"
  for b in 1 32; do
    repvgg bench --arch A0 --form deploy --batch-size "$b" --engine both --warmup 3 --iterations 15 2>/dev/null | tail -3
  done
}

case "$what" in
  throughput) throughput ;;
  memory) memory ;;
  engines) engines ;;
  all) engines; throughput; memory ;;
  *) echo "usage: $0 [throughput|memory|engines|all]" >&2; exit 2 ;;
esac
