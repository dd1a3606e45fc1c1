package org.repvgg4j.data;

/**
 * Crops and resizes RGB images with an antialiased bilinear (triangle) filter, as PIL's
 * {@code BILINEAR} resize does: when shrinking, the filter widens so every source pixel counts.
 * Output is float RGB in HWC order, values 0..255.
 */
public final class Resampler {

    private Resampler() {}

    /** Resamples the box {@code (x0, y0, w, h)} of {@code src} (fractional allowed) to {@code outW x outH}. */
    public static float[] cropResize(RgbImage src, double x0, double y0, double w, double h, int outW, int outH) {
        Weights wx = weights(src.width(), x0, w, outW);
        Weights wy = weights(src.height(), y0, h, outH);
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

    private static Weights weights(int size, double offset, double length, int out) {
        double scale = length / out;
        double support = Math.max(1.0, scale);
        int[] start = new int[out];
        int[] count = new int[out];
        float[][] coeff = new float[out][];
        for (int i = 0; i < out; i++) {
            double center = offset + (i + 0.5) * scale;
            int lo = Math.max(0, (int) Math.floor(center - support));
            int hi = Math.min(size - 1, (int) Math.ceil(center + support));
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
                int nearest = Math.min(size - 1, Math.max(0, (int) Math.floor(center)));
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
