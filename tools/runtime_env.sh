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
# 32 spent more time in page faults than in convolutions. One arena, no mmap for large blocks, no
# trimming and transparent huge pages keep freed tensor memory for the next batch: DJL PyTorch A0
# deploy at batch 32 went from 1279 to ~400 ms and a training step at 32x224x224 from 7.6 to ~1.8 s
# (docs/BENCHMARKS.md, "Memory allocator"). The price is a peak RSS that stays until exit.
export GLIBC_TUNABLES="${GLIBC_TUNABLES-glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1:glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=17179869184}"
