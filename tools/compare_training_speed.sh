#!/usr/bin/env bash
# Training speed, ours vs PyTorch 1.13 (Debian's python3-torch), in one run on this machine:
# RepVGG-A0 train form, full training steps (forward, loss, backward, Nesterov SGD) on a fixed
# random batch, 2 threads each, at batch 32 x 224x224 and batch 64 x 64x64 (CONFIGS="64x32 32x48" for
# others: batch x input size), CLASSES classes (1000, ImageNet's head; the parity runs' sets have 10).
# ENGINE: ours' training engine, onednn (default: the oneDNN graph `repvgg train` runs) or pytorch
# (libtorch's steps through DJL). Prints img/s, ratios and PyTorch's time per phase:
# ROUNDS (3) rounds, and the median round's ratio with the range. In each round the two take turns
# step by step (one step each, the one going first swapping every step), so both meet the same
# moments of a shared machine's load; back-to-back runs of each met different loads and swung by
# 20-40% on the same code.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
threads="${THREADS:-2}"
# Both sides: the repvgg launcher's OpenMP and malloc settings (see there) unless told otherwise;
# TORCH_GLIBC_TUNABLES sets the PyTorch side's alone (empty: PyTorch as installed).
source "$here/tools/runtime_env.sh"
repvgg_env_for bench   # what ./repvgg bench runs with, for both sides
torch_tunables="${TORCH_GLIBC_TUNABLES-$GLIBC_TUNABLES}"
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  apt-get install -y python3-torch >/dev/null
fi
rounds="${ROUNDS:-3}"
run() {  # batch size warmup iterations; ROUNDS rounds of the two taking turns step by step
  local results=()
  for round in $(seq 1 "$rounds"); do
    # PyTorch drives: ours runs a step, then PyTorch, and so on (compare_training_speed.py --ours).
    mapfile -t pair < <(cd "$here/tools" && GLIBC_TUNABLES="$torch_tunables" /usr/bin/python3 compare_training_speed.py \
        --batch "$1" --size "$2" --warmup "$3" --iterations "$4" --threads "$threads" --classes "${CLASSES:-1000}" \
        --ours env GLIBC_TUNABLES="$GLIBC_TUNABLES" REPVGG_JAVA_OPTS="-Dai.djl.pytorch.num_threads=$threads" \
        "$here/repvgg" bench --train-step --arch A0 --engine "${ENGINE:-onednn}" | grep '^{')
    echo "round $round ours:    ${pair[0]}"
    echo "round $round pytorch: ${pair[1]}"
    results+=("${pair[0]}" "${pair[1]}")
  done
  python3 - "${results[@]}" <<'PY'
import json, sys
runs = [json.loads(a) for a in sys.argv[1:]]
pairs = sorted(((o["images_per_s"] / t["images_per_s"], o, t) for o, t in zip(runs[0::2], runs[1::2])), key=lambda p: p[0])
ratio, o, t = pairs[len(pairs) // 2]
print(f"batch {o['batch']} at {o['input_size']}x{o['input_size']}: ours {o['images_per_s']:.1f} img/s, "
      f"PyTorch {t['images_per_s']:.1f} img/s, ratio {ratio:.2f}x (median of {len(pairs)} rounds; "
      f"range {pairs[0][0]:.2f}-{pairs[-1][0]:.2f}x; step by step within that round: {t['paired_ratio']:.2f}x); "
      f"oneDNN kernels: ours {o.get('onednn_isa')}, PyTorch {t.get('onednn_isa')}; "
      f"PyTorch's phases (median ms) {t.get('phases_median_ms')}")
PY
}
# CONFIGS: batch x input size pairs (default "32x224 64x64"). Warm-up steps, then timed ones. Our
# JVM compiles its hot code during the first steps, and a small step is mostly that code: at 32x32
# batch 32 ours' forward pass took 47.7 ms per step after 5 warm-up steps and 37.5 ms after 60 in
# one session's back-to-back runs. A training run takes thousands of steps, so small inputs warm up
# for 60 (WARMUP_SMALL), both sides alike.
for config in ${CONFIGS:-32x224 64x64}; do
  b="${config%x*}" s="${config#*x}"
  if (( s >= 160 )); then run "$b" "$s" 3 10; else run "$b" "$s" "${WARMUP_SMALL:-60}" 30; fi
done
