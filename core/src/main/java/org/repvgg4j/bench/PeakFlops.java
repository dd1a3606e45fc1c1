package org.repvgg4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The theoretical ceiling: cores x fp32 FLOP per cycle x clock. The FLOP per cycle come from the
 * processor's family in /proc/cpuinfo:
 * <ul>
 *   <li>Zen 5 (AMD family 26) has two full 512-bit FMA pipes per core: 2 x 16 lanes x 2 = 64.</li>
 *   <li>Zen 4 (AMD family 25 with AVX-512) splits AVX-512 instructions over two 256-bit FMA pipes:
 *       2 x 8 x 2 = 32.</li>
 *   <li>Anything else counts as two 256-bit FMA units (AVX2): 32.</li>
 * </ul>
 */
public record PeakFlops(int cores, double clockGhz, int flopsPerCycle, String clockSource) {

    public static final int ZEN4_FP32_FLOPS_PER_CYCLE = 32;
    public static final int ZEN5_FP32_FLOPS_PER_CYCLE = 64;

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
            List<String> lines = Files.readAllLines(cpuinfo);
            double mhz = parseMaxMhz(lines);
            if (mhz > 0) {
                return new PeakFlops(cores, mhz / 1000, flopsPerCycle(lines), "/proc/cpuinfo cpu MHz");
            }
        } catch (IOException | RuntimeException e) {
            // No /proc (not Linux): fall through to "unknown".
        }
        return new PeakFlops(cores, 0, ZEN4_FP32_FLOPS_PER_CYCLE, "unknown (no cpu MHz in /proc/cpuinfo)");
    }

    static double parseMaxMhz(List<String> cpuinfoLines) {
        double max = 0;
        for (String line : cpuinfoLines) {
            String value = field(line, "cpu mhz");
            if (value != null) {
                max = Math.max(max, Double.parseDouble(value));
            }
        }
        return max;
    }

    /** fp32 FLOP per cycle per core for the first processor in /proc/cpuinfo (see the class comment). */
    static int flopsPerCycle(List<String> cpuinfoLines) {
        String vendor = null;
        String family = null;
        for (String line : cpuinfoLines) {
            vendor = vendor == null ? field(line, "vendor_id") : vendor;
            family = family == null ? field(line, "cpu family") : family;
        }
        if ("AuthenticAMD".equals(vendor) && family != null && Integer.parseInt(family) >= 26) {
            return ZEN5_FP32_FLOPS_PER_CYCLE;
        }
        return ZEN4_FP32_FLOPS_PER_CYCLE;
    }

    private static String field(String line, String name) {
        int colon = line.indexOf(':');
        if (colon < 0 || !line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(name)) {
            return null;
        }
        return line.substring(colon + 1).trim();
    }
}
