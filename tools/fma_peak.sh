#!/usr/bin/env bash
# The machine's measured fp32 peak: a C loop of independent fused multiply-adds (AVX-512 where the
# CPU has it, else AVX2), on 1 thread and on THREADS threads (default: all). Compare with the
# "peak" line of `repvgg bench`, which multiplies cores, FLOP per cycle and a measured clock.
#   tools/fma_peak.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
threads="${THREADS:-$(nproc)}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
isa=(-mavx2 -mfma)
grep -qw avx512f /proc/cpuinfo && isa=(-mavx512f)
gcc -O2 "${isa[@]}" -fopenmp "$here/fma_peak.c" -o "$out/fma_peak"
"$out/fma_peak" 1
[[ "$threads" -gt 1 ]] && "$out/fma_peak" "$threads"
