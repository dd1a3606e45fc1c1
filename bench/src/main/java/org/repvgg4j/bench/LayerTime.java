package org.repvgg4j.bench;

/** The median wall time of one layer of a network over timed runs, with its output shape and multiply-adds. */
public record LayerTime(String layer, int channels, int outputSize, long macsPerImage, double medianMs) {

    /** Achieved rate of this layer at {@code batch} images per run, a multiply-add counted as two operations. */
    public double gflops(int batch) {
        return medianMs <= 0 ? 0 : 2.0 * macsPerImage * batch / (medianMs / 1000) / 1e9;
    }
}
