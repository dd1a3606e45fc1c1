/*
 * The fp32 peak of this machine, measured: independent chains of fused multiply-adds, as wide as
 * the compiler was told (-mavx512f: 16 lanes, else -mavx2 -mfma: 8), on N threads. Prints the best
 * GFLOP/s of several rounds. Cross-checks `repvgg bench`'s theoretical peak (cores x FLOP per
 * cycle x the clock its ClockProbe measures). Built and run by tools/fma_peak.sh.
 */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__AVX512F__)
typedef __m512 vec;
#define LANES 16
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
#define ADD _mm512_add_ps
#define STORE _mm512_storeu_ps
#else
typedef __m256 vec;
#define LANES 8
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
#define ADD _mm256_add_ps
#define STORE _mm256_storeu_ps
#endif

/* Enough chains to cover the FMA latency (4 cycles) on two pipes, with room to spare. */
#define CHAINS 12

static float run(long steps, int thread) {
    vec acc[CHAINS];
    for (int c = 0; c < CHAINS; c++) acc[c] = SET1(1.0f + thread + 0.01f * c); /* distinct: no CSE */
    vec scale = SET1(0.9999999f), shift = SET1(1e-7f);
    for (long i = 0; i < steps; i++) {
#pragma GCC unroll 12
        for (int c = 0; c < CHAINS; c++) acc[c] = FMA(acc[c], scale, shift);
    }
    vec total = acc[0];
    for (int c = 1; c < CHAINS; c++) total = ADD(total, acc[c]);
    float lanes[LANES];
    STORE(lanes, total);
    return lanes[0];
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    long steps = 50000000L;
    double best = 0;
    float sink = 0;
    for (int round = 0; round < 5; round++) {
        double start = omp_get_wtime();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
        sink += run(steps, omp_get_thread_num());
        double seconds = omp_get_wtime() - start;
        double gflops = 2.0 * LANES * CHAINS * (double) steps * threads / seconds / 1e9;
        if (gflops > best) best = gflops;
    }
    printf("{\"threads\": %d, \"lanes\": %d, \"gflops\": %.1f, \"checksum\": %g}\n", threads, LANES, best, sink);
    return 0;
}
