package org.repvgg4j.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Measures the clock the cores actually run at, which a virtual machine's /proc/cpuinfo does not
 * tell: it reports the host's nominal clock, which may be well below the clock its cores run at
 * under load.
 *
 * <p>The probe times a chain of 64-bit multiplies, each followed by an exclusive-or, in which each
 * step needs the previous result. On current x86-64 cores (Intel's and AMD's Zen) a 64-bit integer
 * multiply takes 3 cycles and the exclusive-or 1, so one step takes 4 cycles however wide the core
 * is: steps per second x 4 is the clock. {@code tools/fma_peak.sh} cross-checks it with a C loop
 * of AVX-512 FMAs (docs/BENCHMARKS.md has the comparison). The chain runs on as many threads as the benchmark
 * uses at once, because a core may boost less when its neighbours are busy.
 */
public final class ClockProbe {

    /** Cycles one step of the chain takes: a 64-bit imul (3) and an xor (1). */
    static final int CYCLES_PER_STEP = 4;

    private static final long MULTIPLIER = 0x9E3779B97F4A7C15L;
    private static final int STEPS = 20_000_000;
    private static final int ROUNDS = 7;

    /** Where the chains' results go, so that the JIT cannot drop them. */
    private static volatile long sink;

    private ClockProbe() {
    }

    /** True where the 4-cycle chain holds: x86-64. */
    public static boolean supported() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return arch.equals("amd64") || arch.equals("x86_64");
    }

    /** The clock in GHz: each thread's fastest round, averaged over the threads. */
    public static double measureGhz(int threads) {
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "clock-probe");
            t.setDaemon(true);
            return t;
        });
        try {
            List<CompletableFuture<Double>> runs = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                long seed = i + 1;
                runs.add(CompletableFuture.supplyAsync(() -> fastestRoundGhz(seed), pool));
            }
            return runs.stream().mapToDouble(CompletableFuture::join).average().orElse(0);
        } finally {
            pool.shutdownNow();
        }
    }

    private static double fastestRoundGhz(long seed) {
        sink = chain(seed, STEPS / 10); // lets the JIT compile the loop before the timed rounds
        double best = 0;
        for (int round = 0; round < ROUNDS; round++) {
            long start = System.nanoTime();
            long result = chain(seed + round, STEPS);
            long nanos = System.nanoTime() - start;
            sink = result;
            best = Math.max(best, (double) STEPS * CYCLES_PER_STEP / nanos);
        }
        return best;
    }

    /**
     * The dependent chain: each step multiplies the previous value and mixes in the step number.
     * An exclusive-or, not an add: HotSpot's C2 reassociates {@code x * k + i} across unrolled
     * steps, which made the chain 20% slower than 4 cycles a step and the clock too low.
     */
    static long chain(long x, int steps) {
        for (int i = 0; i < steps; i++) {
            x = (x * MULTIPLIER) ^ i;
        }
        return x;
    }
}
