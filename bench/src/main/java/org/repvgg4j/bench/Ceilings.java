package org.repvgg4j.bench;

/** The two rates a measurement is held against: a measured large matrix multiply and the theoretical peak. */
public record Ceilings(Measurement matMul, PeakFlops peak) {

    public double matMulGflops() {
        return matMul.gflops();
    }

    public double fractionOfMatMul(Measurement m) {
        return m.gflops() / matMulGflops();
    }

    /** NaN when the clock could not be read. */
    public double fractionOfPeak(Measurement m) {
        return peak.gflops() > 0 ? m.gflops() / peak.gflops() : Double.NaN;
    }
}
