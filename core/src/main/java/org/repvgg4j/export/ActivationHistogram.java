package org.repvgg4j.export;

/**
 * Collects the values one activation tensor takes over the calibration images: its minimum and
 * maximum, and a histogram of |x| from which a percentile clips rare outliers. The bin width doubles
 * (neighbouring bins merge) whenever a larger value arrives, so one pass suffices and memory is fixed.
 */
final class ActivationHistogram {

    private static final int BINS = 4096;

    private final String tensor;
    private final long[] counts = new long[BINS];
    private double width;
    private float min = Float.POSITIVE_INFINITY;
    private float max = Float.NEGATIVE_INFINITY;
    private long total;

    ActivationHistogram(String tensor) {
        this.tensor = tensor;
    }

    void add(float[] values) {
        if (width == 0) {
            float largest = 0;
            for (float v : values) {
                largest = Math.max(largest, Math.abs(v));
            }
            // Headroom for later batches: start with the first batch's largest value at half the range.
            width = largest > 0 ? 2.0 * largest / BINS : 0;
        }
        for (float v : values) {
            if (Float.isNaN(v)) {
                throw new IllegalStateException("tensor '" + tensor + "' is NaN on a calibration image");
            }
            min = Math.min(min, v);
            max = Math.max(max, v);
            float a = Math.abs(v);
            total++;
            if (a == 0) {
                counts[0]++;
                continue;
            }
            if (width == 0) {
                width = 2.0 * a / BINS;
            }
            int bin = (int) (a / width);
            while (bin >= BINS) {
                mergeBins();
                bin = (int) (a / width);
            }
            counts[bin]++;
        }
    }

    private void mergeBins() {
        for (int i = 0; i < BINS / 2; i++) {
            counts[i] = counts[2 * i] + counts[2 * i + 1];
        }
        java.util.Arrays.fill(counts, BINS / 2, BINS, 0);
        width *= 2;
    }

    /**
     * The range to quantize over: [min, max] at {@code percentile} 100, otherwise both ends clipped to
     * the given percentile of |x| (the upper edge of the bin it falls in).
     */
    ActivationRange range(double percentile) {
        if (total == 0) {
            throw new IllegalStateException("tensor '" + tensor + "': no calibration values");
        }
        if (percentile >= 100) {
            return new ActivationRange(tensor, min, max);
        }
        long wanted = (long) Math.ceil(percentile / 100 * total);
        long seen = 0;
        double clip = Math.max(Math.abs(min), Math.abs(max));
        for (int i = 0; i < BINS; i++) {
            seen += counts[i];
            if (seen >= wanted) {
                clip = Math.min(clip, (i + 1) * width);
                break;
            }
        }
        return new ActivationRange(tensor, (float) Math.max(min, -clip), (float) Math.min(max, clip));
    }
}
