package org.repvgg4j.data.augment;

import java.util.Random;
import org.repvgg4j.data.RgbImage;

/**
 * One step of an AutoAugment or RandAugment policy: an operation applied with some probability at
 * a magnitude on the policies' 0..10 scale, optionally jittered by a normal draw. The scale maps to
 * each operation's argument as timm's auto_augment.py maps it (rotation up to 30 degrees, shear up
 * to 0.3, translation up to 45% of the side, enhancement factors 0.1..1.9, ...).
 *
 * @param operation what is done
 * @param probability chance of doing it at all
 * @param magnitude strength, 0..10
 * @param magnitudeStd standard deviation of the normal jitter added to the magnitude (0: none)
 */
public record AugmentOp(Operation operation, double probability, double magnitude, double magnitudeStd) {

    /** Highest magnitude of the policies' scale. */
    public static final double MAX_LEVEL = 10;

    /** Geometric operations fill uncovered pixels with the ImageNet mean colour, as timm does. */
    static final int[] FILL = {124, 116, 104};

    /** The operations, by the names the AutoAugment and RandAugment papers and timm use. */
    public enum Operation {
        AUTO_CONTRAST, EQUALIZE, INVERT, ROTATE,
        POSTERIZE, POSTERIZE_INCREASING, POSTERIZE_ORIGINAL,
        SOLARIZE, SOLARIZE_INCREASING, SOLARIZE_ADD,
        COLOR, COLOR_INCREASING, CONTRAST, CONTRAST_INCREASING,
        BRIGHTNESS, BRIGHTNESS_INCREASING, SHARPNESS, SHARPNESS_INCREASING,
        SHEAR_X, SHEAR_Y, TRANSLATE_X_REL, TRANSLATE_Y_REL;

        /** The operation at {@code level} (0..10); {@code random} picks the sign of signed arguments. */
        RgbImage apply(RgbImage image, double level, Random random) {
            double unit = level / MAX_LEVEL;
            return switch (this) {
                case AUTO_CONTRAST -> ImageOps.autoContrast(image);
                case EQUALIZE -> ImageOps.equalize(image);
                case INVERT -> ImageOps.invert(image);
                case ROTATE -> ImageOps.rotate(image, signed(unit * 30, random), FILL);
                // Keep 0..4 bits (fewer is stronger), 4..0 bits, or the paper's 4..8 bits.
                case POSTERIZE -> ImageOps.posterize(image, (int) (unit * 4));
                case POSTERIZE_INCREASING -> ImageOps.posterize(image, 4 - (int) (unit * 4));
                case POSTERIZE_ORIGINAL -> ImageOps.posterize(image, (int) (unit * 4) + 4);
                case SOLARIZE -> ImageOps.solarize(image, (int) (unit * 256));
                case SOLARIZE_INCREASING -> ImageOps.solarize(image, 256 - (int) (unit * 256));
                case SOLARIZE_ADD -> ImageOps.solarizeAdd(image, (int) (unit * 110), 128);
                case COLOR -> ImageOps.color(image, enhance(unit));
                case COLOR_INCREASING -> ImageOps.color(image, enhanceIncreasing(unit, random));
                case CONTRAST -> ImageOps.contrast(image, enhance(unit));
                case CONTRAST_INCREASING -> ImageOps.contrast(image, enhanceIncreasing(unit, random));
                case BRIGHTNESS -> ImageOps.brightness(image, enhance(unit));
                case BRIGHTNESS_INCREASING -> ImageOps.brightness(image, enhanceIncreasing(unit, random));
                case SHARPNESS -> ImageOps.sharpness(image, enhance(unit));
                case SHARPNESS_INCREASING -> ImageOps.sharpness(image, enhanceIncreasing(unit, random));
                case SHEAR_X -> ImageOps.shearX(image, signed(unit * 0.3, random), FILL);
                case SHEAR_Y -> ImageOps.shearY(image, signed(unit * 0.3, random), FILL);
                case TRANSLATE_X_REL -> ImageOps.translateX(image, signed(unit * 0.45, random) * image.width(), FILL);
                case TRANSLATE_Y_REL -> ImageOps.translateY(image, signed(unit * 0.45, random) * image.height(), FILL);
            };
        }

        /** An enhancement factor in 0.1..1.9, 1 being no change. */
        private static double enhance(double unit) {
            return unit * 1.8 + 0.1;
        }

        /** An enhancement factor 1 +- up to 0.9: stronger the higher the level, either way. */
        private static double enhanceIncreasing(double unit, Random random) {
            return 1 + signed(unit * 0.9, random);
        }

        private static double signed(double v, Random random) {
            return random.nextBoolean() ? -v : v;
        }
    }

    public AugmentOp {
        if (!(probability >= 0 && probability <= 1) || !(magnitude >= 0 && magnitude <= MAX_LEVEL) || magnitudeStd < 0) {
            throw new IllegalArgumentException("augmentation step " + operation + ": probability " + probability
                    + " must be in [0, 1], magnitude " + magnitude + " in [0, 10], its std >= 0");
        }
    }

    /** The image after this step: unchanged with probability {@code 1 - probability}. */
    public RgbImage apply(RgbImage image, Random random) {
        if (probability < 1 && random.nextDouble() > probability) {
            return image;
        }
        double level = magnitude;
        if (magnitudeStd > 0) {
            level = Math.max(0, Math.min(MAX_LEVEL, level + magnitudeStd * random.nextGaussian()));
        }
        return operation.apply(image, level, random);
    }
}
