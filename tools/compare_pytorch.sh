#!/usr/bin/env bash
# Inference speed, ours vs PyTorch 1.13 (Debian's python3-torch), in one run on this machine, the
# same networks with the same weights at the same thread count, 224x224 fp32:
#   RepVGG-A0 train form and deploy form (one `repvgg init` model, converted by `repvgg convert`;
#   PyTorch loads our model.safetensors with the official key names), on DJL's PyTorch engine and,
#   for the deploy form, on ONNX Runtime and on oneDNN (engine onednn); SqueezeNet 1.1 and
#   ResNet-18 (torchvision's models in PyTorch, our DJL baselines in Java; random weights on both
#   sides).
# First checks that PyTorch and we give the same A0 deploy logits for the same input (1e-4 of the
# logit scale), then times PyTorch, then us, ROUNDS times, then prints the ratios at each batch size.
#
#   tools/compare_pytorch.sh [WORKDIR]
#   env: THREADS (2), BATCHES (1,32), WARMUP (3), ITERATIONS (10), ROUNDS (3: PyTorch and ours
#        alternate, and the median round's ratio is shown), ARCH (A0), OMP_WAIT_POLICY (PASSIVE),
#        GLIBC_TUNABLES (the repvgg launcher's allocator settings, for both sides),
#        TORCH_GLIBC_TUNABLES (the PyTorch side's only; set it empty for PyTorch as installed)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$(mktemp -d)}"
threads="${THREADS:-2}"
batches="${BATCHES:-1,32}"
warmup="${WARMUP:-3}"
iterations="${ITERATIONS:-10}"
rounds="${ROUNDS:-3}"
arch="${ARCH:-A0}"
py=/usr/bin/python3
repvgg="$here/repvgg"
# Both sides use libgomp and glibc: the same wait policy and malloc settings for both (the repvgg
# launcher's), unless TORCH_GLIBC_TUNABLES says otherwise for PyTorch.
source "$here/tools/runtime_env.sh"
repvgg_env_for bench   # what ./repvgg bench runs with, for both sides
torch_tunables="${TORCH_GLIBC_TUNABLES-$GLIBC_TUNABLES}"

if ! "$py" -c 'import torch, torchvision' 2>/dev/null; then
  echo "installing Debian's python3-torch and python3-torchvision ..." >&2
  apt-get install -y python3-torch python3-torchvision python3-numpy >/dev/null
fi
mkdir -p "$work"

# 1. Our weights: a freshly initialised train-form A0 and its verified deploy conversion.
rm -rf "$work/train" "$work/deploy"
"$repvgg" init --arch "$arch" --classes 1000 --out "$work/train" >/dev/null
"$repvgg" convert --model "$work/train" --out "$work/deploy" >/dev/null

# 2. Same weights, same input, same logits?
"$py" "$here/tools/compare_pytorch.py" --deploy-dir "$work/deploy" --write-check "$work/check"
"$repvgg" predict --model "$work/deploy" --tensor "$work/check/input.npy" --save-logits "$work/check/ours.npy" --top 1 >/dev/null
"$py" "$here/tools/torch_reference.py" compare --expected "$work/check/logits.npy" --actual "$work/check/ours.npy"

# 3. PyTorch, then ours, each at the same thread count; ROUNDS times, alternating, because a shared
#    machine's speed drifts by more than the differences we measure (docs/BENCHMARKS.md).
rm -f "$work"/pytorch.*.jsonl "$work"/ours.*.jsonl
for round in $(seq 1 "$rounds"); do
  echo "round $round/$rounds: timing PyTorch $("$py" -c 'import torch; print(torch.__version__)') ($threads threads) ..." >&2
  (cd "$here/tools" && GLIBC_TUNABLES="$torch_tunables" "$py" compare_pytorch.py --train-dir "$work/train" --deploy-dir "$work/deploy" \
      --baseline squeezenet1_1 --baseline resnet18 --batch "$batches" --threads "$threads" \
      --warmup "$warmup" --iterations "$iterations") > "$work/pytorch.$round.jsonl"
  echo "round $round/$rounds: timing repvgg4j ($threads threads) ..." >&2
  "$repvgg" bench --model "$work/train" --form both --engine all --batch-size "$batches" --threads "$threads" \
      --warmup "$warmup" --iterations "$iterations" --json > "$work/ours.$round.jsonl"
  "$repvgg" bench --arch squeezenet1_1 --arch resnet18 --batch-size "$batches" --threads "$threads" \
      --warmup "$warmup" --iterations "$iterations" --gemm-size 0 --json >> "$work/ours.$round.jsonl"
done

# 4. Ratios: PyTorch's median time over ours (above 1 means we are faster); the same for CPU time
#    (process CPU per run, all threads), which other processes on a shared machine do not inflate.
#    Each round gives a ratio from back-to-back runs; the table shows the median round's times and
#    the median ratio, with the rounds' lowest and highest ratio beside it.
"$py" - "$work" "$rounds" <<'PY'
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
def load(name, r):
    return [json.loads(l) for l in open(f"{work}/{name}.{r}.jsonl")]
theirs = {r: load("pytorch", r) for r in range(1, rounds + 1)}
ours = {r: load("ours", r) for r in range(1, rounds + 1)}
for r in range(1, rounds + 1):
    gemm = next((o for o in ours[r] if "matmul_gflops" in o), None)
    if gemm:
        print(f"round {r} ceilings: fp32 matmul {gemm['matmul_size']}^2 {gemm['matmul_gflops']:.1f} GFLOP/s, "
              f"peak {gemm['peak_gflops']:.1f} GFLOP/s at {gemm['clock_ghz']:.3f} GHz ({gemm['clock_source']})")
print(f"{'model':<15} {'form':<9} {'batch':>5} {'PyTorch ms':>11} {'ours engine':<12} {'ours ms':>9} "
      f"{'img/s':>7} {'GFLOP/s':>8} {'speed-up':>9} {'range':>13} {'cpu ratio':>10}")
key = lambda m: (m["model"], m["form"], m["batch"])
for t in theirs[1]:
    for o in ours[1]:
        if key(o) != key(t) or "engine" not in o:
            continue
        pairs = []
        for r in range(1, rounds + 1):
            tr = next(x for x in theirs[r] if key(x) == key(t))
            orr = next(x for x in ours[r] if key(x) == key(o) and x.get("engine") == o["engine"])
            pairs.append((tr["median_ms"] / orr["median_ms"], tr, orr))
        pairs.sort(key=lambda p: p[0])
        ratio, tm, om = pairs[len(pairs) // 2]
        cpu = statistics.median(p[1]["cpu_ms_per_run"] / p[2]["cpu_ms_per_run"] for p in pairs)
        spread = f"{pairs[0][0]:.2f}-{pairs[-1][0]:.2f}x" if rounds > 1 else ""
        print(f"{t['model']:<15} {t['form']:<9} {t['batch']:>5} {tm['median_ms']:>11.2f} {o['engine']:<12} "
              f"{om['median_ms']:>9.2f} {om['images_per_s']:>7.1f} {om['gflops']:>8.1f} "
              f"{ratio:>8.2f}x {spread:>13} {cpu:>9.2f}x")
PY
echo "raw results: $work/pytorch.N.jsonl $work/ours.N.jsonl (N = round)" >&2
