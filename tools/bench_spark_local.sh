#!/usr/bin/env bash
# Spark local[2] against a single-process loop, same images, same A0 deploy model (docs/BENCHMARKS.md).
#
#   tools/bench_spark_local.sh WORK_DIR [COUNT]        # e.g. /tmp/spark-bench 2000
#
# Makes COUNT 320x240 JPEGs and a randomly initialised A0 deploy model (1000 classes, 224 crop)
# in WORK_DIR unless they are there, then times, one after the other:
#   1. repvgg batch --engine pytorch (the engine the Spark job uses), batch 32, pipelined decoding
#   1b. repvgg batch with its default engine (ONNX Runtime)
#   2. BatchScoring on local[2], list input, PyTorch's default threads
#   3. the same with --torch-threads 1 (two tasks x one PyTorch thread = two cores)
#   4. the same as 3 on the folder read as binary files (--images)
# PAUSE_PID=<pid> stops that process (SIGSTOP) during each step and always resumes it (SIGCONT).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$1"
count="${2:-2000}"
cd "$here"

if [[ ! -f "$work/list.txt" ]]; then
  java tools/BenchImages.java "$work" "$count" 320 240
fi
if [[ ! -d "$work/a0-deploy" ]]; then
  ./repvgg init --arch A0 --classes 1000 --out "$work/a0-train"
  ./repvgg convert --model "$work/a0-train" --out "$work/a0-deploy"
fi
tools/spark_local.sh --help > /dev/null    # builds core + spark if needed, outside the timings

resume() { [[ -n "${PAUSE_PID:-}" ]] && kill -CONT "$PAUSE_PID" 2>/dev/null || true; }
trap resume EXIT INT TERM
# Wall clock from JVM start to exit, and the CPU seconds the step used (user + sys): on a machine
# shared with other jobs, CPU seconds per image is the steadier of the two.
step() {
  local name="$1"; shift
  echo "== $name" >&2
  [[ -n "${PAUSE_PID:-}" ]] && kill -STOP "$PAUSE_PID"
  local TIMEFORMAT="$name: %R s wall clock (JVM start to exit), %U s user + %S s sys CPU"
  time ( "$@" 2>&1 | grep -E "images/s|Exception|ERROR" || true )
  resume
  sleep 5
}

rm -rf "$work/batch-pt" "$work/batch-ort"
# The progress bar (stderr) is left out; the summary line says "... image(s) in S s (X img/s) ...".
batch() { ./repvgg batch --model "$work/a0-deploy" --lists "$work/list.txt" "$@" 2>/dev/null | sed 's/img\/s/images\/s/'; }
step "repvgg batch, pytorch (batch 32)" batch --out "$work/batch-pt" --engine pytorch
step "repvgg batch, default engine onnxruntime (batch 32)" batch --out "$work/batch-ort"
export SPARK_LOCAL_JAVA_OPTS="-Xmx4g -Dspark.master=local[2]"
step "spark local[2], list" \
  tools/spark_local.sh --model "$work/a0-deploy" --list "$work/list.txt" --out "$work/out-list"
step "spark local[2], list, --torch-threads 1" \
  tools/spark_local.sh --model "$work/a0-deploy" --list "$work/list.txt" --out "$work/out-list" --torch-threads 1
step "spark local[2], folder as binary files, --torch-threads 1" \
  tools/spark_local.sh --model "$work/a0-deploy" --images "$work/images" --out "$work/out-folder" --torch-threads 1
