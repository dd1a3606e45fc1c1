package org.repvgg4j.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDManager;
import java.util.List;
import org.junit.jupiter.api.Test;

class CeilingsTest {

    @Test
    void peakIsCoresTimesFlopsPerCycleTimesTheHighestClock() {
        double mhz = PeakFlops.parseMaxMhz(List.of("processor\t: 0", "cpu MHz\t\t: 2596.140", "cpu MHz\t\t: 3000.5"));
        assertThat(mhz).isEqualTo(3000.5);
        assertThat(new PeakFlops(2, 2.6, 32, "test").gflops()).isCloseTo(166.4, within(1e-9));
        assertThat(PeakFlops.forThreads(1000).cores()).isEqualTo(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void theClockProbeMeasuresAPlausibleClock() {
        assumeTrue(ClockProbe.supported(), "the probe's 4-cycle chain holds on x86-64");
        double ghz = ClockProbe.measureGhz(1);
        // Any x86-64 core of the last fifteen years runs between 1 and 6.5 GHz.
        assertThat(ghz).isBetween(1.0, 6.5);
        PeakFlops peak = PeakFlops.forThreads(1);
        assertThat(peak.clockSource()).startsWith("measured");
        assertThat(peak.gflops()).isCloseTo(peak.clockGhz() * peak.flopsPerCycle(), within(1e-9));
    }

    @Test
    void theChainDependsOnEveryStep() {
        assertThat(ClockProbe.chain(1, 1000)).isNotEqualTo(ClockProbe.chain(1, 999));
        assertThat(ClockProbe.chain(1, 1000)).isNotEqualTo(ClockProbe.chain(2, 1000));
    }

    @Test
    void aGivenClockIsTakenAsIs() {
        PeakFlops peak = PeakFlops.atClock(1, 3.0, "--clock-ghz");
        assertThat(peak.clockGhz()).isEqualTo(3.0);
        assertThat(peak.clockSource()).isEqualTo("--clock-ghz");
    }

    @Test
    void flopsPerCycleFollowTheProcessorFamily() {
        List<String> zen5 = List.of("processor\t: 0", "vendor_id\t: AuthenticAMD", "cpu family\t: 26", "model\t\t: 2");
        List<String> zen4 = List.of("processor\t: 0", "vendor_id\t: AuthenticAMD", "cpu family\t: 25", "model\t\t: 17");
        List<String> intel = List.of("processor\t: 0", "vendor_id\t: GenuineIntel", "cpu family\t: 6");
        assertThat(PeakFlops.flopsPerCycle(zen5)).isEqualTo(64);
        assertThat(PeakFlops.flopsPerCycle(zen4)).isEqualTo(32);
        assertThat(PeakFlops.flopsPerCycle(intel)).isEqualTo(32);
        List<String> sapphireRapids = List.of("processor\t: 0", "vendor_id\t: GenuineIntel", "cpu family\t: 6",
                "flags\t\t: fpu avx2 avx512f amx_bf16 avx512_fp16 amx_tile amx_int8");
        assertThat(PeakFlops.flopsPerCycle(sapphireRapids)).isEqualTo(64);
        assertThat(PeakFlops.flopsPerCycle(List.of())).isEqualTo(32);
        assertThat(PeakFlops.flopsPerCycle(List.of("vendor_id\t: AuthenticAMD", "cpu family\t: ?"))).isEqualTo(32);
        assertThat(PeakFlops.parseMaxMhz(List.of("cpu MHz\t\t: unknown", "cpu MHz\t\t: 2000"))).isEqualTo(2000);
    }

    @Test
    void matMulCountsTwoFlopsPerMultiplyAdd() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Measurement m = MatMulCeiling.run(64, 0, 2, manager);
            assertThat(m.macsPerImage()).isEqualTo(64L * 64 * 64);
            assertThat(m.millis()).hasSize(2);
            Ceilings c = new Ceilings(m, new PeakFlops(2, 1, 32, "test"));
            assertThat(c.fractionOfMatMul(m)).isCloseTo(1.0, within(1e-12));
            assertThat(c.fractionOfPeak(m)).isCloseTo(m.gflops() / 64, within(1e-12));
        }
    }
}
