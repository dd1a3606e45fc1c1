package org.repvgg4j.data.augment;

import org.repvgg4j.data.RgbImage;

/**
 * The image operations AutoAugment and RandAugment draw from, computed as Pillow computes them
 * (ImageOps, ImageEnhance, Image.transform with bilinear sampling), since the policies' magnitudes
 * were tuned on Pillow's results. Each returns a new image of the same size.
 */
public final class ImageOps {

    private ImageOps() {
    }

    // ------------------------------------------------------------------ per-value lookups

    /** {@code 255 - v}. */
    public static RgbImage invert(RgbImage image) {
        int[] lut = new int[256];
        for (int v = 0; v < 256; v++) {
            lut[v] = 255 - v;
        }
        return map(image, lut, lut, lut);
    }

    /** Values at or above {@code threshold} are inverted. */
    public static RgbImage solarize(RgbImage image, int threshold) {
        int[] lut = new int[256];
        for (int v = 0; v < 256; v++) {
            lut[v] = v < threshold ? v : 255 - v;
        }
        return map(image, lut, lut, lut);
    }

    /** Values below {@code threshold} are raised by {@code add} (at most to 255). */
    public static RgbImage solarizeAdd(RgbImage image, int add, int threshold) {
        int[] lut = new int[256];
        for (int v = 0; v < 256; v++) {
            lut[v] = v < threshold ? Math.min(255, v + add) : v;
        }
        return map(image, lut, lut, lut);
    }

    /** Keeps the {@code bits} most significant bits of each value (8 or more: unchanged). */
    public static RgbImage posterize(RgbImage image, int bits) {
        if (bits >= 8) {
            return image;
        }
        int mask = ~((1 << (8 - Math.max(0, bits))) - 1) & 0xFF;
        int[] lut = new int[256];
        for (int v = 0; v < 256; v++) {
            lut[v] = v & mask;
        }
        return map(image, lut, lut, lut);
    }

    /** Per channel, stretches the values' range to 0..255 (a constant channel is left alone). */
    public static RgbImage autoContrast(RgbImage image) {
        int[][] luts = new int[3][];
        for (int c = 0; c < 3; c++) {
            int[] histogram = histogram(image, c);
            int lo = 0;
            while (lo < 256 && histogram[lo] == 0) {
                lo++;
            }
            int hi = 255;
            while (hi >= 0 && histogram[hi] == 0) {
                hi--;
            }
            int[] lut = new int[256];
            if (hi <= lo) {
                for (int v = 0; v < 256; v++) {
                    lut[v] = v;
                }
            } else {
                double scale = 255.0 / (hi - lo);
                double offset = -lo * scale;
                for (int v = 0; v < 256; v++) {
                    lut[v] = clamp((int) (v * scale + offset));
                }
            }
            luts[c] = lut;
        }
        return map(image, luts[0], luts[1], luts[2]);
    }

    /** Per channel, maps values so that their histogram is as flat as the counts allow. */
    public static RgbImage equalize(RgbImage image) {
        int[][] luts = new int[3][];
        for (int c = 0; c < 3; c++) {
            int[] histogram = histogram(image, c);
            int last = 255;
            while (histogram[last] == 0) {
                last--;
            }
            int nonZero = 0;
            long total = 0;
            for (int count : histogram) {
                nonZero += count > 0 ? 1 : 0;
                total += count;
            }
            long step = (total - histogram[last]) / 255;
            int[] lut = new int[256];
            if (nonZero <= 1 || step == 0) {
                for (int v = 0; v < 256; v++) {
                    lut[v] = v;
                }
            } else {
                long n = step / 2;
                for (int v = 0; v < 256; v++) {
                    lut[v] = (int) Math.min(255, n / step);
                    n += histogram[v];
                }
            }
            luts[c] = lut;
        }
        return map(image, luts[0], luts[1], luts[2]);
    }

    // ------------------------------------------------------------------ ImageEnhance: blends

    /** Saturation: 0 is the grey image, 1 the original, above 1 more colourful. */
    public static RgbImage color(RgbImage image, double factor) {
        byte[] grey = new byte[image.pixels().length];
        byte[] p = image.pixels();
        for (int i = 0; i < p.length; i += 3) {
            byte l = (byte) luma(p[i] & 0xFF, p[i + 1] & 0xFF, p[i + 2] & 0xFF);
            grey[i] = l;
            grey[i + 1] = l;
            grey[i + 2] = l;
        }
        return blend(grey, image, factor);
    }

    /** Contrast: 0 is a flat image at the mean grey level, 1 the original. */
    public static RgbImage contrast(RgbImage image, double factor) {
        byte[] p = image.pixels();
        long sum = 0;
        for (int i = 0; i < p.length; i += 3) {
            sum += luma(p[i] & 0xFF, p[i + 1] & 0xFF, p[i + 2] & 0xFF);
        }
        byte mean = (byte) (int) ((double) sum / (p.length / 3) + 0.5);
        byte[] flat = new byte[p.length];
        java.util.Arrays.fill(flat, mean);
        return blend(flat, image, factor);
    }

    /** Brightness: 0 is black, 1 the original. */
    public static RgbImage brightness(RgbImage image, double factor) {
        return blend(new byte[image.pixels().length], image, factor);
    }

    /** Sharpness: 0 is the image smoothed (Pillow's SMOOTH filter), 1 the original, above 1 sharper. */
    public static RgbImage sharpness(RgbImage image, double factor) {
        int w = image.width();
        int h = image.height();
        byte[] p = image.pixels();
        byte[] smooth = p.clone();
        // Pillow's 3x3 filter leaves the outermost rows and columns as they are.
        for (int y = 1; y < h - 1; y++) {
            for (int x = 1; x < w - 1; x++) {
                for (int c = 0; c < 3; c++) {
                    float sum = 0;
                    for (int dy = -1; dy <= 1; dy++) {
                        for (int dx = -1; dx <= 1; dx++) {
                            float k = (dx == 0 && dy == 0 ? 5f : 1f) / 13f;
                            sum += k * (p[((y + dy) * w + x + dx) * 3 + c] & 0xFF);
                        }
                    }
                    smooth[(y * w + x) * 3 + c] = (byte) clip8Rounded(sum);
                }
            }
        }
        return blend(smooth, image, factor);
    }

    // ------------------------------------------------------------------ geometry

    /** Shear along x: the pixel at (x, y) comes from (x + factor * y, y); {@code fill} outside. */
    public static RgbImage shearX(RgbImage image, double factor, int[] fill) {
        return affine(image, new double[] {1, factor, 0, 0, 1, 0}, fill);
    }

    /** Shear along y: the pixel at (x, y) comes from (x, y + factor * x). */
    public static RgbImage shearY(RgbImage image, double factor, int[] fill) {
        return affine(image, new double[] {1, 0, 0, factor, 1, 0}, fill);
    }

    /** The pixel at (x, y) comes from (x + pixels, y): the content moves left for positive pixels. */
    public static RgbImage translateX(RgbImage image, double pixels, int[] fill) {
        return affine(image, new double[] {1, 0, pixels, 0, 1, 0}, fill);
    }

    /** The pixel at (x, y) comes from (x, y + pixels). */
    public static RgbImage translateY(RgbImage image, double pixels, int[] fill) {
        return affine(image, new double[] {1, 0, 0, 0, 1, pixels}, fill);
    }

    /** Rotation by {@code degrees} counter-clockwise about the centre, same size. */
    public static RgbImage rotate(RgbImage image, double degrees, int[] fill) {
        double turned = ((degrees % 360) + 360) % 360;
        if (turned == 0) {
            return image;
        }
        double angle = -Math.toRadians(degrees);
        double cos = Math.cos(angle);
        double sin = Math.sin(angle);
        double cx = image.width() / 2.0;
        double cy = image.height() / 2.0;
        return affine(image, new double[] {cos, sin, cos * -cx + sin * -cy + cx, -sin, cos, -sin * -cx + cos * -cy + cy},
                fill);
    }

    /**
     * Pillow's affine transform with bilinear sampling: output pixel centre (x + 0.5, y + 0.5) samples
     * the input at {@code (a x + b y + c, d x + e y + f)}. A sample outside the image gets
     * {@code fill}; one within half a pixel of the edge repeats the edge pixels; values are
     * truncated, as Pillow does.
     */
    static RgbImage affine(RgbImage image, double[] m, int[] fill) {
        int w = image.width();
        int h = image.height();
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double ix = m[0] * (x + 0.5) + m[1] * (y + 0.5) + m[2];
                double iy = m[3] * (x + 0.5) + m[4] * (y + 0.5) + m[5];
                int o = (y * w + x) * 3;
                if (ix < 0 || ix >= w || iy < 0 || iy >= h) {
                    for (int c = 0; c < 3; c++) {
                        out[o + c] = (byte) fill[c];
                    }
                    continue;
                }
                double sx = ix - 0.5;
                double sy = iy - 0.5;
                int x0 = (int) Math.floor(sx);
                int y0 = (int) Math.floor(sy);
                double fx = sx - x0;
                double fy = sy - y0;
                int xa = Math.max(0, Math.min(w - 1, x0));
                int xb = Math.max(0, Math.min(w - 1, x0 + 1));
                int ya = Math.max(0, Math.min(h - 1, y0));
                int yb = Math.max(0, Math.min(h - 1, y0 + 1));
                for (int c = 0; c < 3; c++) {
                    double top = image.get(xa, ya, c) + fx * (image.get(xb, ya, c) - image.get(xa, ya, c));
                    double bottom = image.get(xa, yb, c) + fx * (image.get(xb, yb, c) - image.get(xa, yb, c));
                    out[o + c] = (byte) (int) (top + fy * (bottom - top));
                }
            }
        }
        return new RgbImage(w, h, out);
    }

    // ------------------------------------------------------------------ helpers

    /** Pillow's RGB -> L: ITU-R 601-2 luma in 16-bit fixed point, rounded. */
    static int luma(int r, int g, int b) {
        return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
    }

    /** Pillow's Image.blend(degenerate, image, factor): truncated inside [0, 1], clipped beyond. */
    private static RgbImage blend(byte[] degenerate, RgbImage image, double factor) {
        float alpha = (float) factor;
        byte[] p = image.pixels();
        byte[] out = new byte[p.length];
        for (int i = 0; i < p.length; i++) {
            int a = degenerate[i] & 0xFF;
            float v = a + alpha * ((p[i] & 0xFF) - a);
            out[i] = (byte) (v <= 0 ? 0 : v >= 255 ? 255 : (int) v);
        }
        return new RgbImage(image.width(), image.height(), out);
    }

    private static int[] histogram(RgbImage image, int channel) {
        int[] histogram = new int[256];
        byte[] p = image.pixels();
        for (int i = channel; i < p.length; i += 3) {
            histogram[p[i] & 0xFF]++;
        }
        return histogram;
    }

    private static RgbImage map(RgbImage image, int[] red, int[] green, int[] blue) {
        byte[] p = image.pixels();
        byte[] out = new byte[p.length];
        for (int i = 0; i < p.length; i += 3) {
            out[i] = (byte) red[p[i] & 0xFF];
            out[i + 1] = (byte) green[p[i + 1] & 0xFF];
            out[i + 2] = (byte) blue[p[i + 2] & 0xFF];
        }
        return new RgbImage(image.width(), image.height(), out);
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }

    private static int clip8Rounded(double v) {
        return v <= 0 ? 0 : v >= 255 ? 255 : (int) (v + 0.5);
    }
}
