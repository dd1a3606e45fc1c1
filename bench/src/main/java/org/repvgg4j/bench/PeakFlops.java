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
 *   <li>AMD family 26 has two full 512-bit FMA pipes per core: 2 x 16 lanes x 2 = 64.</li>
 *   <li>AMD family 25 with {@code avx512f} splits AVX-512 instructions over two 256-bit FMA pipes:
 *       2 x 8 x 2 = 32.</li>
 *   <li>Intel processors with AMX tiles ({@code amx_tile} among the flags) have two 512-bit FMA
 *       units per core: 64. (The probe's clock is the one scalar code runs at; these processors
 *       lower it under heavy AVX-512 load, so the ceiling is an upper bound that
 *       {@code tools/fma_peak.sh} can check against a measured FMA loop.)</li>
 *   <li>Anything else counts as two 256-bit FMA units (AVX2): 32.</li>
 * </ul>
 */
public record PeakFlops(int cores, double clockGhz, int flopsPerCycle, String clockSource) {

    public static final int AMD_FAMILY25_FP32_FLOPS_PER_CYCLE = 32;
    public static final int AMD_FAMILY26_FP32_FLOPS_PER_CYCLE = 64;
    public static final int AVX512_2FMA_FP32_FLOPS_PER_CYCLE = 64;

    public double gflops() {
        return cores * clockGhz * flopsPerCycle;
    }

    /**
     * The peak for {@code threads} threads (at most the processors Java sees). The clock is
     * measured by {@link ClockProbe} on x86-64; elsewhere it is the highest "cpu MHz" line of
     * /proc/cpuinfo, which in a virtual machine is the host's nominal clock, not the one the cores
     * reach under load.
     */
    public static PeakFlops forThreads(int threads) {
        int cores = coresFor(threads);
        List<String> lines = cpuinfo();
        int flopsPerCycle = flopsPerCycle(lines);
        double cpuinfoGhz = parseMaxMhz(lines) / 1000;
        if (ClockProbe.supported()) {
            double measured = ClockProbe.measureGhz(cores);
            String nominal = cpuinfoGhz > 0
                    ? String.format(Locale.ROOT, "; /proc/cpuinfo says %.3f", cpuinfoGhz) : "";
            return new PeakFlops(cores, measured, flopsPerCycle, "measured" + nominal);
        }
        if (cpuinfoGhz > 0) {
            return new PeakFlops(cores, cpuinfoGhz, flopsPerCycle, "/proc/cpuinfo cpu MHz");
        }
        return new PeakFlops(cores, 0, flopsPerCycle, "unknown (no cpu MHz in /proc/cpuinfo)");
    }

    /** The peak for {@code threads} threads at a clock the user gives. */
    public static PeakFlops atClock(int threads, double clockGhz, String source) {
        int cores = coresFor(threads);
        return new PeakFlops(cores, clockGhz, flopsPerCycle(cpuinfo()), source);
    }

    /** The cores {@code threads} threads can occupy: at least one, at most the processors Java sees. */
    private static int coresFor(int threads) {
        return Math.max(1, Math.min(threads, Runtime.getRuntime().availableProcessors()));
    }

    /** The processor's description, or nothing where there is no /proc/cpuinfo (not Linux). */
    private static List<String> cpuinfo() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo"));
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    static double parseMaxMhz(List<String> cpuinfoLines) {
        double max = 0;
        for (String line : cpuinfoLines) {
            String value = field(line, "cpu mhz");
            if (value != null) {
                try {
                    max = Math.max(max, Double.parseDouble(value));
                } catch (NumberFormatException e) {
                    // not a number: skip the line
                }
            }
        }
        return max;
    }

    /** fp32 FLOP per cycle per core for the first processor in /proc/cpuinfo (see the class comment). */
    static int flopsPerCycle(List<String> cpuinfoLines) {
        String vendor = null;
        String family = null;
        String flags = null;
        for (String line : cpuinfoLines) {
            vendor = vendor == null ? field(line, "vendor_id") : vendor;
            family = family == null ? field(line, "cpu family") : family;
            flags = flags == null ? field(line, "flags") : flags;
        }
        if ("AuthenticAMD".equals(vendor) && family != null && family.matches("\\d+") && Integer.parseInt(family) >= 26) {
            return AMD_FAMILY26_FP32_FLOPS_PER_CYCLE;
        }
        if ("GenuineIntel".equals(vendor) && flags != null && List.of(flags.split("\\s+")).contains("amx_tile")) {
            return AVX512_2FMA_FP32_FLOPS_PER_CYCLE;
        }
        return AMD_FAMILY25_FP32_FLOPS_PER_CYCLE;
    }

    private static String field(String line, String name) {
        int colon = line.indexOf(':');
        if (colon < 0 || !line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(name)) {
            return null;
        }
        return line.substring(colon + 1).trim();
    }
}
