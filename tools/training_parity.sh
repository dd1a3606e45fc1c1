#!/usr/bin/env bash
# Training parity, ours vs plain PyTorch, over seeds: trains the same list files with the same recipe
# through `repvgg train` and through tools/torch_train.py (Debian's PyTorch 1.13, an independent
# implementation of the official recipe), seeds 0..SEEDS-1, and prints a markdown table per seed and
# as mean (sd): best and final validation top-1 and training images/s of each side.
#
#   DATA=/tmp/fmnist SEEDS=10 EPOCHS=12 SIZE=32 BATCH=64 bash tools/training_parity.sh
#
# Settings (environment): DATA (required: a folder with train.txt, val.txt, annotations.txt, as
# `repvgg split` writes), SEEDS (5), EPOCHS (12), SIZE (32), BATCH (64), LR (empty: 0.1 x batch / 256),
# ARCH (A0), CROP_SCALE (0.08,1), CROP_RATIO (0.875), WARMUP_EPOCHS (empty: the recipe's),
# THREADS (2: intra-op threads each side), WORKERS (one per core: ours' decoding threads, PyTorch's
# DataLoader processes), NAME (from the settings), OUT (runs/parity/NAME), LOCK (a file: each
# training run then holds `flock LOCK`, for a machine shared with other heavy jobs).
#
# Images/s, both sides: all training images over the summed time of the training epochs, each epoch
# timed from the creation of its batch iterator (so loading, decoding and augmentation are inside)
# to the end of its last optimizer step, validation and checkpoints outside. Ours' comes from the
# run's metrics.csv, PyTorch's from torch_train.py's summary. Both run with the launcher's OpenMP
# and malloc settings (tools/runtime_env.sh); oneDNN's instruction set is each side's own choice
# (ours: the launcher's check; PyTorch: as installed) unless ONEDNN_MAX_CPU_ISA is set for both.
#
# Results go to OUT/results.jsonl, one line per finished (seed, side). Run the same command again
# after an interruption: finished ones are skipped, an interrupted one is run again from the start
# (its time would not be one run's otherwise). Which side goes first alternates with the seed, so
# neither always meets the machine after the other has warmed it or loaded it.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
if [[ "${1:-}" == -h || "${1:-}" == --help ]]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 0
fi

data="$(cd "${DATA:?set DATA to a folder with train.txt, val.txt and annotations.txt (repvgg split --out)}" && pwd)"
for f in train.txt val.txt annotations.txt; do
  [[ -f "$data/$f" ]] || { echo "training_parity: $data/$f is missing (make it with repvgg split)" >&2; exit 2; }
done
seeds="${SEEDS:-5}" epochs="${EPOCHS:-12}" size="${SIZE:-32}" batch="${BATCH:-64}" lr="${LR:-}" arch="${ARCH:-A0}"
crop_scale="${CROP_SCALE:-0.08,1}" crop_ratio="${CROP_RATIO:-0.875}" warmup="${WARMUP_EPOCHS:-}"
threads="${THREADS:-2}" workers="${WORKERS:-$(nproc)}"
name="${NAME:-$(basename "$data")-${arch}-${size}px-e${epochs}-b${batch}${lr:+-lr$lr}}"
out="${OUT:-$here/runs/parity/$name}"
summary=(/usr/bin/python3 "$here/tools/training_parity_summary.py")
# With LOCK set, each training run holds it; taken before the clock starts, so a wait for another
# job is not counted as the run's time.
hold_lock() { if [[ -n "${LOCK:-}" ]]; then exec 9>>"$LOCK"; flock 9; fi; }
release_lock() { if [[ -n "${LOCK:-}" ]]; then flock -u 9; exec 9>&-; fi; }

if ! /usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null; then
  echo "training_parity: needs Debian's PyTorch: apt-get install -y python3-torch python3-torchvision" >&2
  exit 2
fi
mkdir -p "$out"
# SEEDS is left out: more seeds may be added to a finished run.
"${summary[@]}" settings "$out" "$(printf '{"data": "%s", "arch": "%s", "epochs": %d, "size": %d, "batch": %d, "lr": "%s", "crop_scale": "%s", "crop_ratio": "%s", "warmup_epochs": "%s", "threads": %d, "workers": %d}' \
    "$data" "$arch" "$epochs" "$size" "$batch" "$lr" "$crop_scale" "$crop_ratio" "$warmup" "$threads" "$workers")"

source "$here/tools/runtime_env.sh"
repvgg_env_for train   # what ./repvgg train runs with; PyTorch gets the same

# The recipe's options, spelled the same on both sides.
options=(--train "$data/train.txt" --val "$data/val.txt" --classes "$data/annotations.txt" --arch "$arch"
         --epochs "$epochs" --batch-size "$batch" --image-size "$size" --crop-scale "$crop_scale"
         --crop-ratio "$crop_ratio" --workers "$workers" ${lr:+--lr "$lr"} ${warmup:+--warmup-epochs "$warmup"})

now() { date +%s.%N; }

run_ours() {  # seed
  local dir="$out/seed-$1/ours" start wall
  rm -rf "$dir"; mkdir -p "$(dirname "$dir")"
  echo "seed $1: ours ..." >&2
  hold_lock
  start=$(now)
  # Intra-op threads through DJL's property (train has no --threads); the launcher adds the rest.
  if ! REPVGG_JAVA_OPTS="-Dai.djl.pytorch.num_threads=$threads ${REPVGG_JAVA_OPTS:-}" \
      "$here/repvgg" train "${options[@]}" --seed "$1" --quiet --out "$dir" > "$dir.log" 2>&1; then
    echo "training_parity: ours failed on seed $1; its output: $dir.log" >&2; tail -5 "$dir.log" >&2; exit 1
  fi
  wall=$(awk "BEGIN { print $(now) - $start }")
  release_lock
  "${summary[@]}" record-ours "$out" "$1" "$dir" "$data/train.txt" "$batch" "$wall"
}

run_pytorch() {  # seed
  local dir="$out/seed-$1/pytorch" start wall
  rm -rf "$dir"; mkdir -p "$dir"
  echo "seed $1: PyTorch ..." >&2
  hold_lock
  start=$(now)
  if ! (cd "$here/tools" && /usr/bin/python3 torch_train.py "${options[@]}" --seed "$1" \
      --threads "$threads") > "$dir/epochs.jsonl" 2> "$dir/stderr.log"; then
    echo "training_parity: PyTorch failed on seed $1; its messages: $dir/stderr.log" >&2; tail -5 "$dir/stderr.log" >&2; exit 1
  fi
  wall=$(awk "BEGIN { print $(now) - $start }")
  release_lock
  "${summary[@]}" record-pytorch "$out" "$1" "$dir/epochs.jsonl" "$wall"
}

# The launcher rebuilds the CLI when sources changed: done now, outside any timed run.
hold_lock; "$here/repvgg" --help > /dev/null; release_lock

for ((seed = 0; seed < seeds; seed++)); do
  order=(ours pytorch)
  (( seed % 2 == 1 )) && order=(pytorch ours)
  for side in "${order[@]}"; do
    if "${summary[@]}" done "$out" "$side" "$seed"; then
      echo "seed $seed: $side already in $out/results.jsonl" >&2
    else
      "run_$side" "$seed"
    fi
  done
done
"${summary[@]}" table "$out"
echo "(results: $out/results.jsonl; table: $out/table.md)"
