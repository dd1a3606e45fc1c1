package org.repvgg4j.data.augment;

import java.util.Random;

/**
 * Random Erasing (Zhong et al., AAAI 2020) as timm's {@code --reprob P --remode pixel} does it:
 * with probability {@code probability}, one rectangle of 2%..33% of the crop with aspect ratio in
 * 0.3..3.3 (log-uniform) is replaced by standard normal noise, per pixel and channel, in the
 * normalised input.
 */
public record RandomErasing(double probability) {

    private static final double MIN_AREA = 0.02;
    private static final double MAX_AREA = 1.0 / 3;
    private static final double MIN_LOG_ASPECT = Math.log(0.3);
    private static final double MAX_LOG_ASPECT = Math.log(1 / 0.3);

    public RandomErasing {
        if (!(probability >= 0 && probability <= 1)) {
            throw new IllegalArgumentException("random erasing probability must be in [0, 1], got " + probability);
        }
    }

    /**
     * Erases in place a rectangle of {@code chw}, a normalised {@code 3 x size x size} crop.
     *
     * @return the rectangle erased as {x, y, width, height}, or null if none was
     */
    public int[] apply(float[] chw, int size, Random random) {
        if (probability == 0 || random.nextDouble() >= probability) {
            return null;
        }
        double area = (double) size * size;
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * (MIN_AREA + (MAX_AREA - MIN_AREA) * random.nextDouble());
            double aspect = Math.exp(MIN_LOG_ASPECT + (MAX_LOG_ASPECT - MIN_LOG_ASPECT) * random.nextDouble());
            int h = (int) Math.round(Math.sqrt(target * aspect));
            int w = (int) Math.round(Math.sqrt(target / aspect));
            if (w < size && h < size) {
                int top = random.nextInt(size - h + 1);
                int left = random.nextInt(size - w + 1);
                int plane = size * size;
                for (int c = 0; c < 3; c++) {
                    for (int y = top; y < top + h; y++) {
                        for (int x = left; x < left + w; x++) {
                            chw[c * plane + y * size + x] = (float) random.nextGaussian();
                        }
                    }
                }
                return new int[] {left, top, w, h};
            }
        }
        return null;
    }
}
