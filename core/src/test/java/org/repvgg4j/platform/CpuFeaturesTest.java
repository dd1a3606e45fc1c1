package org.repvgg4j.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class CpuFeaturesTest {

    @Test
    void bf16NeedsAvx512Bf16OrAmxBf16AmongTheFlags() {
        assertThat(CpuFeatures.hasBf16(List.of("vendor_id\t: GenuineIntel",
                "flags\t\t: fpu avx2 avx512f avx512_vnni amx_bf16 amx_tile"))).isTrue();
        assertThat(CpuFeatures.hasBf16(List.of("flags\t\t: fpu avx2 avx512f avx512_bf16"))).isTrue();
        // avx512_vnni and avx512_fp16 are not bf16; a flag merely containing the name does not count.
        assertThat(CpuFeatures.hasBf16(List.of("flags\t\t: fpu avx2 avx512f avx512_vnni avx512_fp16 xavx512_bf16x"))).isFalse();
        assertThat(CpuFeatures.hasBf16(List.of("processor\t: 0"))).isFalse();
    }

    @Test
    void avx512MeansOneDnnsAvx512CoreSubsets() {
        assertThat(CpuFeatures.hasAvx512(List.of("flags\t\t: fpu avx2 avx512f avx512dq avx512bw avx512vl"))).isTrue();
        // AVX-512 foundation alone (Xeon Phi) is not avx512_core; nor is AVX2.
        assertThat(CpuFeatures.hasAvx512(List.of("flags\t\t: fpu avx2 avx512f avx512cd avx512er"))).isFalse();
        assertThat(CpuFeatures.hasAvx512(List.of("flags\t\t: fpu avx avx2 fma"))).isFalse();
        assertThat(CpuFeatures.hasAvx512(List.of("processor\t: 0"))).isFalse();
    }
}
