package org.repvgg4j.data;

import java.util.List;
import java.util.Random;
import org.repvgg4j.data.augment.Augmentation;
import org.repvgg4j.data.augment.RandomErasing;
import org.repvgg4j.weights.Preprocessing;

/**
 * Turns an RGB image into normalised network input: float CHW, {@code (v / 255 - mean) / std}.
 * The train transform is RandomResizedCrop + horizontal flip, the eval transform a resize of the
 * shorter side followed by a center crop. Randomness comes only from the {@link Random} passed in,
 * so a seeded sample gets the same crop on any thread.
 */
public abstract sealed class ImageTransform {

    protected final int size;
    private final float[] mean = new float[3];
    private final float[] std = new float[3];

    ImageTransform(int size, List<Double> mean, List<Double> std) {
        this.size = size;
        for (int c = 0; c < 3; c++) {
            this.mean[c] = mean.get(c).floatValue();
            this.std[c] = std.get(c).floatValue();
        }
    }

    /** Network input for one image: {@code 3 * size * size} floats, CHW. */
    public abstract float[] apply(RgbImage image, Random random);

    public int size() {
        return size;
    }

    /** The evaluation transform a model directory's preprocessing describes. */
    public static ImageTransform eval(Preprocessing p) {
        return new Eval(p.inputSize(), p.resizeSize(), p.mean(), p.std());
    }

    /** RandomResizedCrop to {@code p.inputSize()} with area fraction in [minScale, maxScale], aspect in [3/4, 4/3], then a coin-flip mirror. */
    public static ImageTransform train(Preprocessing p, double minScale, double maxScale) {
        return train(p, minScale, maxScale, null, 0);
    }

    /**
     * As {@link #train(Preprocessing, double, double)}, then {@code augmentation} (AutoAugment or
     * RandAugment; null for none) on the 8-bit crop, and after normalisation Random Erasing with
     * probability {@code erasing}, the order timm's training transforms use.
     */
    public static ImageTransform train(Preprocessing p, double minScale, double maxScale, Augmentation augmentation,
            double erasing) {
        return new Train(p.inputSize(), minScale, maxScale, 3.0 / 4, 4.0 / 3, p.mean(), p.std(), augmentation,
                new RandomErasing(erasing));
    }

    /** HWC 0..255 -> CHW normalised, optionally mirrored left-right. */
    float[] normalise(float[] hwc, boolean mirror) {
        float[] chw = new float[3 * size * size];
        int plane = size * size;
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int from = (y * size + (mirror ? size - 1 - x : x)) * 3;
                int to = y * size + x;
                for (int c = 0; c < 3; c++) {
                    chw[c * plane + to] = (hwc[from + c] / 255f - mean[c]) / std[c];
                }
            }
        }
        return chw;
    }

    static final class Eval extends ImageTransform {
        private final int resize;

        Eval(int size, int resize, List<Double> mean, List<Double> std) {
            super(size, mean, std);
            this.resize = resize;
        }

        @Override
        public float[] apply(RgbImage image, Random random) {
            Box box = box(size, resize, image.width(), image.height());
            return normalise(Resampler.cropResize(image, box.x(), box.y(), box.width(), box.height(), size, size), false);
        }

        /**
         * Resize the shorter side to {@code resize}, then crop {@code size} from the centre: in
         * source pixels that is a centred square of side {@code size * shorter / resize}.
         */
        static Box box(int size, int resize, int width, int height) {
            double scale = (double) resize / Math.min(width, height);
            double side = size / scale;
            double cropW = Math.min(side, width);
            double cropH = Math.min(side, height);
            return new Box((width - cropW) / 2, (height - cropH) / 2, cropW, cropH);
        }
    }

    /** A region of the source image in pixels, as the network's input sees it. */
    public record Box(double x, double y, double width, double height) {
    }

    /**
     * The box RandomResizedCrop takes from a {@code width x height} image, in whole pixels, as
     * torchvision's {@code RandomResizedCrop.get_params} draws it: ten tries at an area fraction
     * uniform in [minScale, maxScale] and an aspect ratio log-uniform in [minRatio, maxRatio] that
     * fits, placed uniformly; else the whole image, cut to the nearer ratio limit, centred.
     */
    public static Box randomResizedCrop(int width, int height, double minScale, double maxScale, double minRatio,
            double maxRatio, Random random) {
        double area = (double) width * height;
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * (minScale + (maxScale - minScale) * random.nextDouble());
            double logRatio = Math.log(minRatio) + (Math.log(maxRatio) - Math.log(minRatio)) * random.nextDouble();
            double ratio = Math.exp(logRatio);
            int cw = (int) Math.round(Math.sqrt(target * ratio));
            int ch = (int) Math.round(Math.sqrt(target / ratio));
            if (cw > 0 && ch > 0 && cw <= width && ch <= height) {
                int x0 = random.nextInt(width - cw + 1);
                int y0 = random.nextInt(height - ch + 1);
                return new Box(x0, y0, cw, ch);
            }
        }
        double inRatio = (double) width / height;
        int cw = width;
        int ch = height;
        if (inRatio < minRatio) {
            ch = (int) Math.round(width / minRatio);
        } else if (inRatio > maxRatio) {
            cw = (int) Math.round(height * maxRatio);
        }
        return new Box((width - cw) / 2, (height - ch) / 2, cw, ch);
    }

    /** The region of a {@code width x height} image that the evaluation transform of {@code p} turns into the network's input. */
    public static Box evalBox(Preprocessing p, int width, int height) {
        return Eval.box(p.inputSize(), p.resizeSize(), width, height);
    }

    static final class Train extends ImageTransform {
        private final double minScale;
        private final double maxScale;
        private final double minRatio;
        private final double maxRatio;
        private final Augmentation augmentation;
        private final RandomErasing erasing;

        Train(int size, double minScale, double maxScale, double minRatio, double maxRatio,
                List<Double> mean, List<Double> std, Augmentation augmentation, RandomErasing erasing) {
            super(size, mean, std);
            this.augmentation = augmentation;
            this.erasing = erasing;
            if (!(0 < minScale && minScale <= maxScale && maxScale <= 1)) {
                throw new IllegalArgumentException("crop scale must satisfy 0 < min <= max <= 1, got ("
                        + minScale + ", " + maxScale + ")");
            }
            this.minScale = minScale;
            this.maxScale = maxScale;
            this.minRatio = minRatio;
            this.maxRatio = maxRatio;
        }

        @Override
        public float[] apply(RgbImage image, Random random) {
            Box box = randomResizedCrop(image.width(), image.height(), minScale, maxScale, minRatio, maxRatio, random);
            boolean mirror = random.nextBoolean();
            float[] hwc = Resampler.cropThenResize(image, (int) box.x(), (int) box.y(), (int) box.width(),
                    (int) box.height(), size, size);
            if (augmentation != null) {
                // The policies work on 8-bit pictures, as Pillow's operations do.
                byte[] pixels = new byte[hwc.length];
                for (int i = 0; i < hwc.length; i++) {
                    pixels[i] = (byte) Math.max(0, Math.min(255, Math.round(hwc[i])));
                }
                byte[] augmented = augmentation.apply(new RgbImage(size, size, pixels), random).pixels();
                for (int i = 0; i < hwc.length; i++) {
                    hwc[i] = augmented[i] & 0xFF;
                }
            }
            float[] chw = normalise(hwc, mirror);
            erasing.apply(chw, size, random);
            return chw;
        }
    }
}
