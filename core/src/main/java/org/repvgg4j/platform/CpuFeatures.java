package org.repvgg4j.platform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** Instruction-set features of this machine's processor, as Linux lists them in /proc/cpuinfo. */
public final class CpuFeatures {

    /** The flags that give oneDNN native bfloat16 arithmetic: AVX512-BF16 or AMX-BF16. */
    static final Set<String> BF16_FLAGS = Set.of("avx512_bf16", "amx_bf16");

    /** The AVX-512 subsets oneDNN calls {@code avx512_core}, which its Winograd convolutions need. */
    static final Set<String> AVX512_CORE_FLAGS = Set.of("avx512f", "avx512bw", "avx512vl", "avx512dq");

    private CpuFeatures() {}

    /**
     * Whether the processor computes in bfloat16 natively. Without it oneDNN converts every bf16
     * operand to float32 and back, and bf16 runs slower than fp32. False where /proc/cpuinfo cannot
     * be read (not Linux).
     */
    public static boolean hasBf16() {
        return flags().stream().anyMatch(BF16_FLAGS::contains);
    }

    /** {@link #hasBf16()} on the lines of a /proc/cpuinfo. */
    static boolean hasBf16(List<String> cpuinfo) {
        return flags(cpuinfo).stream().anyMatch(BF16_FLAGS::contains);
    }

    /**
     * Whether the processor has AVX-512 with the byte/word, vector-length and doubleword subsets
     * (oneDNN's {@code avx512_core}). False where /proc/cpuinfo cannot be read.
     */
    public static boolean hasAvx512() {
        return flags().containsAll(AVX512_CORE_FLAGS);
    }

    /** {@link #hasAvx512()} on the lines of a /proc/cpuinfo. */
    static boolean hasAvx512(List<String> cpuinfo) {
        return flags(cpuinfo).containsAll(AVX512_CORE_FLAGS);
    }

    /** The first processor's flags; empty where /proc/cpuinfo cannot be read (not Linux). */
    private static Set<String> flags() {
        try {
            return flags(Files.readAllLines(Path.of("/proc/cpuinfo")));
        } catch (IOException | RuntimeException e) {
            return Set.of();
        }
    }

    private static Set<String> flags(List<String> cpuinfo) {
        return cpuinfo.stream()
                .filter(line -> line.startsWith("flags"))
                .findFirst()
                .map(line -> Set.copyOf(List.of(line.substring(line.indexOf(':') + 1).strip().split("\\s+"))))
                .orElse(Set.of());
    }
}
