package org.repvgg4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The theoretical ceiling: cores x fp32 FLOP per cycle x clock. Zen 4 has two 256-bit FMA pipes
 * per core (AVX-512 instructions are split in two), so 2 x 8 lanes x 2 = 32 fp32 FLOP per cycle;
 * the same as AVX2 machines with two FMA units, so 32 is the default for any x86-64 here.
 */
public record PeakFlops(int cores, double clockGhz, int flopsPerCycle, String clockSource) {

    public static final int ZEN4_FP32_FLOPS_PER_CYCLE = 32;

    public double gflops() {
        return cores * clockGhz * flopsPerCycle;
    }

    /**
     * The peak for {@code threads} threads (at most the processors Java sees), with the clock read
     * from /proc/cpuinfo's "cpu MHz" lines (the highest; in a virtual machine that is the host's
     * nominal clock, not a turbo clock the core may reach).
     */
    public static PeakFlops forThreads(int threads) {
        int cores = Math.max(1, Math.min(threads, Runtime.getRuntime().availableProcessors()));
        Path cpuinfo = Path.of("/proc/cpuinfo");
        try {
            double mhz = parseMaxMhz(Files.readAllLines(cpuinfo));
            if (mhz > 0) {
                return new PeakFlops(cores, mhz / 1000, ZEN4_FP32_FLOPS_PER_CYCLE, "/proc/cpuinfo cpu MHz");
            }
        } catch (IOException | RuntimeException e) {
            // No /proc (not Linux): fall through to "unknown".
        }
        return new PeakFlops(cores, 0, ZEN4_FP32_FLOPS_PER_CYCLE, "unknown (no cpu MHz in /proc/cpuinfo)");
    }

    static double parseMaxMhz(List<String> cpuinfoLines) {
        double max = 0;
        for (String line : cpuinfoLines) {
            String lower = line.toLowerCase(Locale.ROOT);
            int colon = line.indexOf(':');
            if (lower.startsWith("cpu mhz") && colon > 0) {
                max = Math.max(max, Double.parseDouble(line.substring(colon + 1).trim()));
            }
        }
        return max;
    }
}
