# The environment every repvgg4j JVM runs with: sourced by ./repvgg, tools/spark_local.sh and the
# PyTorch comparison scripts (surefire's copy is in pom.xml, the spark-submit recipe's in README.md).
# A value the caller has set wins, so each can be overridden or, set empty, switched off.

# libgomp (PyTorch's OpenMP) busy-waits between operators by default; when another process holds a
# core, every parallel operator then waits out a scheduler tick for its descheduled partner thread.
# PASSIVE lets idle threads sleep at once: on 2 cores with another job running, SqueezeNet 1.1 at
# batch 1 went from ~1.4 s to ~40 ms, and decoding threads of batch/eval/train starve the same way
# (docs/BENCHMARKS.md, "OpenMP wait policy").
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
# apart (peak RSS at 100k / 10k images 0.87-1.45 for every setting, run to run).
REPVGG_MALLOC_SCORING="glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1"
REPVGG_MALLOC_TRAINING="$REPVGG_MALLOC_SCORING:glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=17179869184"

# A training step of a small network is hundreds of short parallel operators; with PASSIVE every one
# of them wakes the other thread from sleep. Training processes spin a moment first: GOMP_SPINCOUNT
# (which wins over the PASSIVE policy) of 1,000 spins. A0 training steps at 32x32 ran 1.35-1.5x
# faster with it on 2 cores, and with another process holding one core 144 against 183 img/s, where
# libgomp's default spin (300,000) fell to 77 and 30,000 to 44 (docs/BENCHMARKS.md, "OpenMP wait
# policy"). Scoring keeps PASSIVE: its decoding threads need the cores between operators.
REPVGG_TRAINING_SPINCOUNT=1000

# Exports the environment for a repvgg command (its first argument) that the caller has not set:
# GLIBC_TUNABLES, the training setting for train, demo and bench and the scoring one for everything
# else; and for the same training commands GOMP_SPINCOUNT.
repvgg_env_for() {
  case "${1:-}" in
    train|demo|bench)
      export GLIBC_TUNABLES="${GLIBC_TUNABLES-$REPVGG_MALLOC_TRAINING}"
      export GOMP_SPINCOUNT="${GOMP_SPINCOUNT-$REPVGG_TRAINING_SPINCOUNT}" ;;
    *) export GLIBC_TUNABLES="${GLIBC_TUNABLES-$REPVGG_MALLOC_SCORING}" ;;
  esac
}

# oneDNN's instruction set for libtorch. On some machines libtorch 2.7.1's oneDNN returns wrong
# convolution results with its default (AVX-512) kernels and no error: RepVGG-A0 trained at 48x48
# has had input gradients 10-20% off in two stride-2 layers, so stages 0-1 learned from wrong
# gradients (docs/BENCHMARKS.md, "Wrong convolutions", names the CPU). `repvgg doctor --known`
# checks the convolutions against float64 references; this runs it once per machine and libtorch
# version, caches the verdict, and exports ONEDNN_MAX_CPU_ISA=AVX2 where the default is wrong.
# (The train form now avoids the strided gradients that were wrong, and `train` and `bench` switch
# back to the default kernels for their own run where those are right: cli's IsaChoice.)
# A value the caller has set (even empty) wins and skips the check.
repvgg_onednn_isa() {  # the CLI jar, the project's pom.xml
  [[ -n "${ONEDNN_MAX_CPU_ISA+x}" ]] && return 0
  local jar="$1" pom="$2"
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/repvgg4j"
  local key
  key=$({ grep -m1 '^model name' /proc/cpuinfo; grep -m1 '^flags' /proc/cpuinfo; grep -m1 '<pytorch.version>' "$pom"; } \
      2>/dev/null | md5sum | cut -c1-16)
  local verdict="$cache/onednn-isa-$key"
  if [[ ! -s "$verdict" ]]; then
    mkdir -p "$cache"
    echo "repvgg: checking once on this machine that libtorch computes convolutions correctly (repvgg doctor --known) ..." >&2
    if ONEDNN_MAX_CPU_ISA=DEFAULT java -Xmx1g -Dai.djl.offline=true -jar "$jar" doctor --known --quiet >/dev/null 2>&1; then
      echo DEFAULT > "$verdict.tmp"
    else
      echo AVX2 > "$verdict.tmp"
      echo "repvgg: oneDNN's default convolutions gave wrong results here; libtorch will use ONEDNN_MAX_CPU_ISA=AVX2" \
          "(slower, and right for the networks checked). Details: repvgg doctor; docs/BENCHMARKS.md, \"Wrong convolutions\"." >&2
    fi
    mv "$verdict.tmp" "$verdict"
  fi
  export ONEDNN_MAX_CPU_ISA="$(cat "$verdict")"
  # Marks the value as the launcher's: a command that knows its network and sizes (train, bench) may
  # check those convolutions with the default kernels and switch to them for its run (cli/IsaChoice.java).
  export REPVGG_ONEDNN_ISA_AUTO=1
}
