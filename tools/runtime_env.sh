# The environment every repvgg4j JVM runs with: sourced by ./repvgg, tools/spark_local.sh and the
# PyTorch comparison scripts (surefire's copy is in pom.xml, the spark-submit recipe's in README.md).
# A value the caller has set wins, so each can be overridden or, set empty, switched off.

# libgomp (PyTorch's OpenMP) busy-waits between operators by default; when another process holds a
# core, every parallel operator then waits out a scheduler tick for its descheduled partner thread.
# PASSIVE lets idle threads sleep at once: SqueezeNet 1.1 at batch 1 went from ~1.4 s to ~40 ms on
# this 2-core machine while another job ran, and decoding threads of batch/eval/train starve the same
# way (docs/BENCHMARKS.md, "OpenMP wait policy").
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"

# glibc's malloc hands libtorch's large tensors (tens of MB of activations per layer) back to the
# kernel when they are freed, and every step then page-faults the same memory in again: A0 at batch
# 32 spent more time in page faults than in convolutions (docs/BENCHMARKS.md, "Memory allocator").
# Two settings, measured:
#   scoring:  one arena and transparent huge pages. DJL PyTorch A0 deploy at batch 32 went from 1279
#             to ~320 ms.
#   training: also no mmap and no trimming, so freed activations stay with the process for the next
#             step: a training step at 32x224x224 takes ~1.4 s against ~2.0 s with the scoring
#             setting (7.6 s with none). Memory once used is kept until exit.
# Scoring processes (batch, Spark executors) may run for days over varied inputs, so they keep
# glibc's ability to return memory; `repvgg batch`'s memory benchmark could not tell the settings
# apart on this machine (peak RSS at 100k / 10k images 0.87-1.45 for every setting, run to run).
REPVGG_MALLOC_SCORING="glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1"
REPVGG_MALLOC_TRAINING="$REPVGG_MALLOC_SCORING:glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=17179869184"

# Exports GLIBC_TUNABLES for a repvgg command (its first argument) unless the caller set it: the
# training setting for train, demo and bench, the scoring one for everything else.
repvgg_malloc_for() {
  case "${1:-}" in
    train|demo|bench) export GLIBC_TUNABLES="${GLIBC_TUNABLES-$REPVGG_MALLOC_TRAINING}" ;;
    *) export GLIBC_TUNABLES="${GLIBC_TUNABLES-$REPVGG_MALLOC_SCORING}" ;;
  esac
}
