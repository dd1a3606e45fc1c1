package org.repvgg4j.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

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
