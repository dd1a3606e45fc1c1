package org.repvgg4j.data.augment;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.repvgg4j.data.RgbImage;

/**
 * RandAugment (Cubuk et al., arXiv 1909.13719) as timm runs it: per image, {@code layers}
 * operations drawn uniformly with replacement from 15, each applied with probability 0.5 at one
 * shared magnitude (jittered per operation by {@code magnitudeStd}). The "increasing" set uses
 * the variants whose strength grows with the magnitude for every operation.
 */
public record RandAugment(double magnitude, int layers, double magnitudeStd, boolean increasing) implements Augmentation {

    private static final List<AugmentOp.Operation> STANDARD = operations(false);
    private static final List<AugmentOp.Operation> INCREASING = operations(true);

    public RandAugment {
        if (!(magnitude >= 0 && magnitude <= AugmentOp.MAX_LEVEL) || layers < 1 || magnitudeStd < 0) {
            throw new IllegalArgumentException("RandAugment needs magnitude in [0, 10], at least 1 operation and std >= 0;"
                    + " got m " + magnitude + ", n " + layers + ", mstd " + magnitudeStd);
        }
    }

    private static List<AugmentOp.Operation> operations(boolean increasing) {
        List<AugmentOp.Operation> ops = new ArrayList<>(List.of(AugmentOp.Operation.AUTO_CONTRAST,
                AugmentOp.Operation.EQUALIZE, AugmentOp.Operation.INVERT, AugmentOp.Operation.ROTATE));
        if (increasing) {
            ops.addAll(List.of(AugmentOp.Operation.POSTERIZE_INCREASING, AugmentOp.Operation.SOLARIZE_INCREASING,
                    AugmentOp.Operation.SOLARIZE_ADD, AugmentOp.Operation.COLOR_INCREASING,
                    AugmentOp.Operation.CONTRAST_INCREASING, AugmentOp.Operation.BRIGHTNESS_INCREASING,
                    AugmentOp.Operation.SHARPNESS_INCREASING));
        } else {
            ops.addAll(List.of(AugmentOp.Operation.POSTERIZE, AugmentOp.Operation.SOLARIZE,
                    AugmentOp.Operation.SOLARIZE_ADD, AugmentOp.Operation.COLOR, AugmentOp.Operation.CONTRAST,
                    AugmentOp.Operation.BRIGHTNESS, AugmentOp.Operation.SHARPNESS));
        }
        ops.addAll(List.of(AugmentOp.Operation.SHEAR_X, AugmentOp.Operation.SHEAR_Y,
                AugmentOp.Operation.TRANSLATE_X_REL, AugmentOp.Operation.TRANSLATE_Y_REL));
        return List.copyOf(ops);
    }

    /** The operations drawn from. */
    public List<AugmentOp.Operation> operations() {
        return increasing ? INCREASING : STANDARD;
    }

    @Override
    public RgbImage apply(RgbImage image, Random random) {
        List<AugmentOp.Operation> ops = operations();
        RgbImage out = image;
        for (int i = 0; i < layers; i++) {
            AugmentOp step = new AugmentOp(ops.get(random.nextInt(ops.size())), 0.5, magnitude, magnitudeStd);
            out = step.apply(out, random);
        }
        return out;
    }

    @Override
    public String id() {
        StringBuilder s = new StringBuilder("rand-m").append(number(magnitude)).append("-n").append(layers);
        if (magnitudeStd > 0) {
            s.append("-mstd").append(number(magnitudeStd));
        }
        return increasing ? s.append("-inc1").toString() : s.toString();
    }

    private static String number(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
