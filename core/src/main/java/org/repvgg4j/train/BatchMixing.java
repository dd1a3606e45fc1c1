package org.repvgg4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;

/**
 * Mixup and CutMix on a training batch, as timm's {@code Mixup} does them in its default batch mode:
 * one mixing weight per batch, each image paired with the batch read backwards (image {@code i}
 * with image {@code n-1-i}).
 *
 * <ul>
 *   <li>Mixup (Zhang et al. 2018): {@code x = lam x + (1 - lam) x'}, {@code lam ~ Beta(a, a)}.
 *   <li>CutMix (Yun et al. 2019): a box covering about {@code 1 - lam} of the image is pasted from
 *       {@code x'}; {@code lam} is then the share the box leaves, after clipping at the border.
 * </ul>
 *
 * With both on, each batch uses one or the other with even odds. The targets become class
 * probabilities, {@code lam} on the image's own class and {@code 1 - lam} on its partner's, which
 * {@link LabelSmoothingLoss} takes in place of class indices. Everything drawn depends only on the
 * seed and the step, so a resumed run mixes its batches as the uninterrupted one would.
 */
public final class BatchMixing {

    private final double mixupAlpha;
    private final double cutmixAlpha;
    private final long seed;

    /** {@code alpha} 0 turns a method off; both 0 is not a mixing. */
    public BatchMixing(double mixupAlpha, double cutmixAlpha, long seed) {
        if (mixupAlpha < 0 || cutmixAlpha < 0 || mixupAlpha + cutmixAlpha == 0) {
            throw new IllegalArgumentException("mixup and cutmix alphas must be >= 0 and one of them > 0, got "
                    + mixupAlpha + " and " + cutmixAlpha);
        }
        this.mixupAlpha = mixupAlpha;
        this.cutmixAlpha = cutmixAlpha;
        this.seed = seed;
    }

    /** A mixing for these settings, or null when both alphas are 0. */
    public static BatchMixing of(double mixupAlpha, double cutmixAlpha, long seed) {
        return mixupAlpha == 0 && cutmixAlpha == 0 ? null : new BatchMixing(mixupAlpha, cutmixAlpha, seed);
    }

    /**
     * The mixed batch: {@code images} mixed ({@code [n, 3, h, w]}), {@code targets} class
     * probabilities ({@code [n, classes]}), and the weight of each image's own class.
     */
    public record Mixed(NDArray images, NDArray targets, double lam, boolean cutmix) {}

    /** Mixes batch number {@code step} of the run; new arrays belong to the images' manager. */
    public Mixed apply(NDArray images, NDArray labels, int classes, long step) {
        SplittableRandom random = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (step + 1)));
        boolean cutmix = cutmixAlpha > 0 && (mixupAlpha == 0 || random.nextBoolean());
        double lam = beta(random, cutmix ? cutmixAlpha : mixupAlpha);
        NDArray partners = images.flip(0);
        NDArray mixed;
        if (cutmix) {
            Shape shape = images.getShape();
            int h = (int) shape.get(2);
            int w = (int) shape.get(3);
            double side = Math.sqrt(1 - lam);
            int boxH = (int) (h * side);
            int boxW = (int) (w * side);
            int cy = random.nextInt(h);
            int cx = random.nextInt(w);
            int y0 = clamp(cy - boxH / 2, h);
            int y1 = clamp(cy + boxH / 2, h);
            int x0 = clamp(cx - boxW / 2, w);
            int x1 = clamp(cx + boxW / 2, w);
            float[] box = new float[h * w];
            for (int y = y0; y < y1; y++) {
                for (int x = x0; x < x1; x++) {
                    box[y * w + x] = 1;
                }
            }
            lam = 1 - (double) (y1 - y0) * (x1 - x0) / (h * w);
            NDManager manager = images.getManager();
            try (NDArray mask = manager.create(box, new Shape(1, 1, h, w)); NDArray keep = mask.neg().add(1);
                    NDArray own = images.mul(keep); NDArray pasted = partners.mul(mask)) {
                mixed = own.add(pasted);
            }
        } else {
            try (NDArray own = images.mul((float) lam); NDArray other = partners.mul((float) (1 - lam))) {
                mixed = own.add(other);
            }
        }
        partners.close();
        NDArray targets;
        try (NDArray oneHot = labels.toType(DataType.INT64, false).oneHot(classes).toType(DataType.FLOAT32, false);
                NDArray flipped = oneHot.flip(0); NDArray own = oneHot.mul((float) lam);
                NDArray other = flipped.mul((float) (1 - lam))) {
            targets = own.add(other);
        }
        return new Mixed(mixed, targets, lam, cutmix);
    }

    private static int clamp(int v, int size) {
        return Math.max(0, Math.min(size, v));
    }

    /** A Beta(a, a) draw, as the ratio of two Gamma(a) draws. */
    static double beta(SplittableRandom random, double a) {
        double x = gamma(random, a);
        double y = gamma(random, a);
        return x + y == 0 ? 0.5 : x / (x + y);
    }

    /**
     * A Gamma(shape, 1) draw by Marsaglia and Tsang's method; a shape below 1 draws with shape + 1
     * and scales by {@code u^(1/shape)}.
     */
    static double gamma(SplittableRandom random, double shape) {
        if (shape < 1) {
            double u = random.nextDouble();
            return gamma(random, shape + 1) * Math.pow(u, 1 / shape);
        }
        double d = shape - 1.0 / 3;
        double c = 1 / Math.sqrt(9 * d);
        while (true) {
            double x;
            double v;
            do {
                x = normal(random);
                v = 1 + c * x;
            } while (v <= 0);
            v = v * v * v;
            double u = random.nextDouble();
            if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
                return d * v;
            }
        }
    }

    /** A standard normal draw (Box-Muller). */
    private static double normal(SplittableRandom random) {
        double u = 1 - random.nextDouble(); // in (0, 1]: log(u) is finite
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
    }
}
