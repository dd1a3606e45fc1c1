#!/usr/bin/env bash
# Serving benchmarks (issue 26), numbers for docs/BENCHMARKS.md, "Serving":
#   throughput  offline `repvgg batch` against `repvgg serve` driven by `repvgg bench serve` at 1, 8, 32
#               and 64 concurrent clients, on the same images, A0 deploy at SIZES (default: the demo's 48
#               and 224), after warming the server up; each run's requests logged to WORK/requests-SIZE.csv
#               and their slowest 1% taken apart by tools/serve_tail.py.
#   overload    clients = 4 x --max-queue against a server with --max-batch 8 --max-queue 32: answers by status,
#               with clients that ask again at once after a 503 and with clients that honour Retry-After.
#   memory      the server's resident memory (VmRSS, sampled every second) over REQUESTS (100,000) requests.
# Usage: tools/bench_serve.sh [throughput|overload|memory|all]   (WORK=/tmp/... SIZES="48 224" ENGINE=...)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="${WORK:-/tmp/repvgg-bench-serve}"
sizes="${SIZES:-48 224}"
engine_opt=()
[[ -n "${ENGINE:-}" ]] && engine_opt=(--engine "$ENGINE")
what="${1:-all}"
repvgg() { "$here/repvgg" "$@"; }
mkdir -p "$work"

grep -m1 'model name' /proc/cpuinfo
echo "flags: $(grep -m1 -o -w -E 'avx2' /proc/cpuinfo || true) $(grep -m1 -o -w -E 'avx512f' /proc/cpuinfo || echo 'no avx512f')"
echo "cores: $(nproc)"

deploy_model() {  # dir size
  if [[ ! -f "$1/model.json" ]]; then
    repvgg init --arch A0 --classes 10 --image-size "$2" --out "$1.train" >/dev/null
    repvgg convert --model "$1.train" --out "$1" >/dev/null
  fi
}

images() {  # the demo's 3,000 Fashion-MNIST PNGs as one list
  find "$here/examples/fashion-mnist" -name '*.png' | sort > "$work/images.txt"
}

start_server() {  # model, then serve options; sets url and pid
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  # the launcher execs java: $! is the server itself, which SIGTERM drains
  "$here/repvgg" serve --model a0="$1" --port "$port" "${engine_opt[@]}" "${@:2}" > "$work/serve.out" 2> "$work/serve.err" &
  pid=$!
  # should a step fail, the server must not outlive the script (it would hold the port, and any lock)
  trap 'kill -TERM "$pid" 2>/dev/null || true' EXIT
  url="http://127.0.0.1:$port/"
  for _ in $(seq 1 120); do
    curl -sf "${url}v2/health/ready" > /dev/null && return 0
    sleep 1
  done
  echo "server did not start: $(cat "$work/serve.err")" >&2
  exit 1
}

stop_server() {
  kill -TERM "$pid"
  wait "$pid" || echo "serve exited with $?"
  trap - EXIT
}

throughput() {
  images
  for size in $sizes; do
    deploy_model "$work/a0-$size" "$size"
    echo "== A0 deploy ${size}x${size}, 10 classes, $(wc -l < "$work/images.txt") PNGs (28x28)"
    rm -rf "$work/results"
    # Offline runs the list OFFLINE_REPEAT times at small sizes (5: 15,000 images, about 20 s at 48x48),
    # so the engine's and the JIT's warm-up weigh as little there as in the server's longer runs.
    local repeat=1
    (( size < 100 )) && repeat="${OFFLINE_REPEAT:-5}"
    for _ in $(seq 1 "$repeat"); do cat "$work/images.txt"; done > "$work/offline.txt"
    repvgg batch --model "$work/a0-$size" --lists "$work/offline.txt" --out "$work/results" "${engine_opt[@]}" \
        --json 2>/dev/null | tail -1 | python3 -c '
import json, sys
e = json.loads(sys.stdin.read())
print("offline repvgg batch: %.1f img/s (%d images, %.1f s, engine %s)" % (e["images_per_s"], e["rows"], e["seconds"], e.get("engine")))'
    start_server "$work/a0-$size"
    echo "server: $(curl -s "${url}models")"
    # A fresh server's JVM goes on compiling its request path (HTTP, decoding, JSON) for tens of seconds
    # under load, on the cores the forward passes need; a server in service is past that. So it is
    # loaded first, unmeasured: SERVER_WARMUP requests from 32 clients.
    local warm=${SERVER_WARMUP:-20000} requests=${REQUESTS_PER_RUN:-6000}
    if (( size >= 100 )); then warm=${SERVER_WARMUP:-2000}; requests=${REQUESTS_PER_RUN:-3000}; fi
    repvgg bench serve --url "$url" --model a0 --images "$work/images.txt" --clients 32 --requests "$warm" \
        --warmup 0 | sed 's/^/server warm-up, not measured: /'
    repvgg bench serve --url "$url" --model a0 --images "$work/images.txt" --clients 1,8,32,64 \
        --requests "$requests" --warmup "${WARMUP_PER_RUN:-1000}" --log "$work/requests-$size.csv"
    python3 "$here/tools/serve_tail.py" "$work/requests-$size.csv"
    stop_server
  done
}

overload() {
  images
  deploy_model "$work/a0-48" 48
  # Clients that ask again at once after a 503, then clients that wait as its Retry-After says.
  for retry in "" --honour-retry-after; do
    echo "== overload: A0 deploy 48x48, --max-batch 8 --max-queue 32, 128 clients ${retry:-(asking again at once)}"
    start_server "$work/a0-48" --max-batch 8 --max-queue 32
    repvgg bench serve --url "$url" --model a0 --images "$work/images.txt" --clients 128 --requests 20000 --warmup 200 $retry
    curl -s "${url}metrics" | grep -E '^repvgg_(requests|rejected)_total' || true
    stop_server
  done
}

memory() {
  images
  deploy_model "$work/a0-48" 48
  local requests="${REQUESTS:-100000}"
  echo "== memory: A0 deploy 48x48, $requests requests from 32 clients"
  start_server "$work/a0-48"
  : > "$work/rss.txt"
  ( while kill -0 "$pid" 2>/dev/null; do
      awk '/VmRSS/ {print $2}' "/proc/$pid/status" >> "$work/rss.txt" 2>/dev/null || true
      sleep 1
    done ) &
  sampler=$!
  repvgg bench serve --url "$url" --model a0 --images "$work/images.txt" --clients 32 --requests "$requests" --warmup 200
  stop_server
  wait "$sampler" || true
  python3 - "$work/rss.txt" <<'PY'
import sys
rss = [int(x) / 1024 for x in open(sys.argv[1]) if x.strip()]
n = len(rss)
tenth = rss[: max(1, n // 10)]
print(f"RSS MiB over {n} s: first tenth peak {max(tenth):.0f}, last tenth peak {max(rss[-max(1, n // 10):]):.0f}, "
      f"overall peak {max(rss):.0f}")
PY
}

case "$what" in
  throughput) throughput ;;
  overload) overload ;;
  memory) memory ;;
  all) throughput; overload; memory ;;
  *) echo "usage: $0 [throughput|overload|memory|all]" >&2; exit 2 ;;
esac
