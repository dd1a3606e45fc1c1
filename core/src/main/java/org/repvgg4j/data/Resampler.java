package org.repvgg4j.data;

/**
 * Crops and resizes RGB images with an antialiased bilinear (triangle) filter, as PIL's
 * {@code BILINEAR} resize does: when shrinking, the filter widens so every source pixel counts.
 * Output is float RGB in HWC order, values 0..255. Two orders, as torchvision has them: a region of
 * the resized image ({@link #cropResize}: Resize then CenterCrop, where the filter reads pixels
 * beyond the region's edge), and a crop resized on its own ({@link #cropThenResize}:
 * RandomResizedCrop, where the edge of the crop is the edge of the picture).
 */
public final class Resampler {

    private Resampler() {}

    /** Resamples the box {@code (x0, y0, w, h)} of {@code src} (fractional allowed) to {@code outW x outH}. */
    public static float[] cropResize(RgbImage src, double x0, double y0, double w, double h, int outW, int outH) {
        return resample(src, weights(0, src.width() - 1, x0, w, outW), weights(0, src.height() - 1, y0, h, outH), outW, outH);
    }

    /**
     * Cuts the box {@code (x0, y0, w, h)} out of {@code src}, then resizes it to {@code outW x outH}:
     * PIL's {@code crop(box).resize(size, BILINEAR)}, which torchvision's RandomResizedCrop does. The
     * filter takes no pixel from outside the box; near its edge it weighs the pixels inside more.
     */
    public static float[] cropThenResize(RgbImage src, int x0, int y0, int w, int h, int outW, int outH) {
        if (x0 < 0 || y0 < 0 || w < 1 || h < 1 || x0 + w > src.width() || y0 + h > src.height()) {
            throw new IllegalArgumentException("box " + x0 + "," + y0 + " " + w + "x" + h + " is not inside the "
                    + src.width() + "x" + src.height() + " image");
        }
        return resample(src, weights(x0, x0 + w - 1, x0, w, outW), weights(y0, y0 + h - 1, y0, h, outH), outW, outH);
    }

    private static float[] resample(RgbImage src, Weights wx, Weights wy, int outW, int outH) {
        // Horizontal pass over the rows the vertical pass will need.
        int rowFirst = wy.minIndex();
        int rowLast = wy.maxIndex();
        int rows = rowLast - rowFirst + 1;
        float[] tmp = new float[rows * outW * 3];
        for (int r = 0; r < rows; r++) {
            int y = rowFirst + r;
            for (int ox = 0; ox < outW; ox++) {
                float red = 0;
                float green = 0;
                float blue = 0;
                int start = wx.start[ox];
                for (int k = 0; k < wx.count[ox]; k++) {
                    float c = wx.coeff[ox][k];
                    int x = start + k;
                    red += c * src.get(x, y, 0);
                    green += c * src.get(x, y, 1);
                    blue += c * src.get(x, y, 2);
                }
                int t = (r * outW + ox) * 3;
                tmp[t] = red;
                tmp[t + 1] = green;
                tmp[t + 2] = blue;
            }
        }
        float[] out = new float[outH * outW * 3];
        for (int oy = 0; oy < outH; oy++) {
            int start = wy.start[oy] - rowFirst;
            for (int ox = 0; ox < outW; ox++) {
                float red = 0;
                float green = 0;
                float blue = 0;
                for (int k = 0; k < wy.count[oy]; k++) {
                    float c = wy.coeff[oy][k];
                    int t = ((start + k) * outW + ox) * 3;
                    red += c * tmp[t];
                    green += c * tmp[t + 1];
                    blue += c * tmp[t + 2];
                }
                int o = (oy * outW + ox) * 3;
                out[o] = red;
                out[o + 1] = green;
                out[o + 2] = blue;
            }
        }
        return out;
    }

    /** Per output pixel: the first source index, how many taps, and their normalised weights. */
    private record Weights(int[] start, int[] count, float[][] coeff) {
        int minIndex() {
            int m = Integer.MAX_VALUE;
            for (int s : start) {
                m = Math.min(m, s);
            }
            return m;
        }

        int maxIndex() {
            int m = 0;
            for (int i = 0; i < start.length; i++) {
                m = Math.max(m, start[i] + count[i] - 1);
            }
            return m;
        }
    }

    /** Taps for {@code out} samples of {@code [offset, offset + length)}, reading source pixels {@code first..last} only. */
    private static Weights weights(int first, int last, double offset, double length, int out) {
        double scale = length / out;
        double support = Math.max(1.0, scale);
        int[] start = new int[out];
        int[] count = new int[out];
        float[][] coeff = new float[out][];
        for (int i = 0; i < out; i++) {
            double center = offset + (i + 0.5) * scale;
            int lo = Math.max(first, (int) Math.floor(center - support));
            int hi = Math.min(last, (int) Math.ceil(center + support));
            double[] w = new double[hi - lo + 1];
            double sum = 0;
            for (int j = lo; j <= hi; j++) {
                double d = Math.abs((j + 0.5 - center) / support);
                double v = Math.max(0, 1 - d);
                w[j - lo] = v;
                sum += v;
            }
            if (sum == 0) {
                // The box lies between pixel centres at the border: take the nearest pixel.
                int nearest = Math.min(last, Math.max(first, (int) Math.floor(center)));
                start[i] = nearest;
                count[i] = 1;
                coeff[i] = new float[] {1f};
                continue;
            }
            start[i] = lo;
            count[i] = w.length;
            coeff[i] = new float[w.length];
            for (int k = 0; k < w.length; k++) {
                coeff[i][k] = (float) (w[k] / sum);
            }
        }
        return new Weights(start, count, coeff);
    }
}
