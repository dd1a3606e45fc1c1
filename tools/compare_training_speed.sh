#!/usr/bin/env bash
# Training speed, ours vs PyTorch 1.13 (Debian's python3-torch), in one run on this machine:
# RepVGG-A0 train form, full training steps (forward, loss, backward, Nesterov SGD) on a fixed
# random batch, 2 threads each, at batch 32 x 224x224 and batch 64 x 64x64. Prints img/s and ratios.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
threads="${THREADS:-2}"
# Both sides: the repvgg launcher's OpenMP and malloc settings (see there) unless told otherwise;
# TORCH_GLIBC_TUNABLES sets the PyTorch side's alone (empty: PyTorch as installed).
source "$here/tools/runtime_env.sh"
repvgg_malloc_for bench   # what ./repvgg bench runs with, for both sides
torch_tunables="${TORCH_GLIBC_TUNABLES-$GLIBC_TUNABLES}"
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  apt-get install -y python3-torch >/dev/null
fi
run() {  # batch size warmup iterations
  ours=$(REPVGG_JAVA_OPTS="-Dai.djl.pytorch.num_threads=$threads" "$here/repvgg" bench --train-step --arch A0 \
      --classes 1000 --batch "$1" --image-size "$2" --warmup "$3" --iterations "$4" --json | tail -1)
  theirs=$(cd "$here/tools" && GLIBC_TUNABLES="$torch_tunables" /usr/bin/python3 compare_training_speed.py --batch "$1" --size "$2" \
      --warmup "$3" --iterations "$4" --threads "$threads")
  echo "ours:    $ours"
  echo "pytorch: $theirs"
  python3 - "$ours" "$theirs" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"batch {a['batch']} at {a['input_size']}x{a['input_size']}: ours {a['images_per_s']:.1f} img/s, "
      f"PyTorch {b['images_per_s']:.1f} img/s, ratio {a['images_per_s'] / b['images_per_s']:.2f}x")
PY
}
run 32 224 2 5
run 64 64 3 10
