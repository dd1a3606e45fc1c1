package org.repvgg4j.data.augment;

import static org.repvgg4j.data.augment.AugmentOp.Operation.AUTO_CONTRAST;
import static org.repvgg4j.data.augment.AugmentOp.Operation.COLOR;
import static org.repvgg4j.data.augment.AugmentOp.Operation.CONTRAST;
import static org.repvgg4j.data.augment.AugmentOp.Operation.EQUALIZE;
import static org.repvgg4j.data.augment.AugmentOp.Operation.INVERT;
import static org.repvgg4j.data.augment.AugmentOp.Operation.POSTERIZE_ORIGINAL;
import static org.repvgg4j.data.augment.AugmentOp.Operation.ROTATE;
import static org.repvgg4j.data.augment.AugmentOp.Operation.SHARPNESS;
import static org.repvgg4j.data.augment.AugmentOp.Operation.SHEAR_X;
import static org.repvgg4j.data.augment.AugmentOp.Operation.SOLARIZE;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.repvgg4j.data.RgbImage;

/**
 * AutoAugment's ImageNet policy (Cubuk et al., arXiv 1805.09501, the "original" policy in timm):
 * each image gets one of 25 sub-policies, picked uniformly, each two operations with their own
 * probability and magnitude.
 */
public record AutoAugment(double magnitudeStd) implements Augmentation {

    /** The paper's table: per sub-policy, (operation, probability, magnitude) twice. */
    private static final Object[][] IMAGENET = {
        {POSTERIZE_ORIGINAL, 0.4, 8, ROTATE, 0.6, 9},
        {SOLARIZE, 0.6, 5, AUTO_CONTRAST, 0.6, 5},
        {EQUALIZE, 0.8, 8, EQUALIZE, 0.6, 3},
        {POSTERIZE_ORIGINAL, 0.6, 7, POSTERIZE_ORIGINAL, 0.6, 6},
        {EQUALIZE, 0.4, 7, SOLARIZE, 0.2, 4},
        {EQUALIZE, 0.4, 4, ROTATE, 0.8, 8},
        {SOLARIZE, 0.6, 3, EQUALIZE, 0.6, 7},
        {POSTERIZE_ORIGINAL, 0.8, 5, EQUALIZE, 1.0, 2},
        {ROTATE, 0.2, 3, SOLARIZE, 0.6, 8},
        {EQUALIZE, 0.6, 8, POSTERIZE_ORIGINAL, 0.4, 6},
        {ROTATE, 0.8, 8, COLOR, 0.4, 0},
        {ROTATE, 0.4, 9, EQUALIZE, 0.6, 2},
        {EQUALIZE, 0.0, 7, EQUALIZE, 0.8, 8},
        {INVERT, 0.6, 4, EQUALIZE, 1.0, 8},
        {COLOR, 0.6, 4, CONTRAST, 1.0, 8},
        {ROTATE, 0.8, 8, COLOR, 1.0, 2},
        {COLOR, 0.8, 8, SOLARIZE, 0.8, 7},
        {SHARPNESS, 0.4, 7, INVERT, 0.6, 8},
        {SHEAR_X, 0.6, 5, EQUALIZE, 1.0, 9},
        {COLOR, 0.4, 0, EQUALIZE, 0.6, 3},
        {EQUALIZE, 0.4, 7, SOLARIZE, 0.2, 4},
        {SOLARIZE, 0.6, 5, AUTO_CONTRAST, 0.6, 5},
        {INVERT, 0.6, 4, EQUALIZE, 1.0, 8},
        {COLOR, 0.6, 4, CONTRAST, 1.0, 8},
        {EQUALIZE, 0.8, 8, EQUALIZE, 0.6, 3},
    };

    public AutoAugment {
        if (magnitudeStd < 0) {
            throw new IllegalArgumentException("magnitude std must be >= 0, got " + magnitudeStd);
        }
    }

    /** The 25 sub-policies, each a list of two steps. */
    public List<List<AugmentOp>> subPolicies() {
        List<List<AugmentOp>> policies = new ArrayList<>();
        for (Object[] row : IMAGENET) {
            policies.add(List.of(step(row, 0), step(row, 3)));
        }
        return policies;
    }

    private AugmentOp step(Object[] row, int at) {
        return new AugmentOp((AugmentOp.Operation) row[at], (Double) row[at + 1], (Integer) row[at + 2], magnitudeStd);
    }

    @Override
    public RgbImage apply(RgbImage image, Random random) {
        Object[] row = IMAGENET[random.nextInt(IMAGENET.length)];
        return step(row, 3).apply(step(row, 0).apply(image, random), random);
    }

    @Override
    public String id() {
        return magnitudeStd > 0 ? "original-mstd" + magnitudeStd : "original";
    }
}
