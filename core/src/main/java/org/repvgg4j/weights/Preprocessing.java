package org.repvgg4j.weights;

import java.util.List;

/**
 * How images become network input: resize the shorter side to {@code resizeSize}, center-crop
 * {@code inputSize}, scale to [0, 1], subtract {@code mean} and divide by {@code std} per RGB channel.
 */
public record Preprocessing(int inputSize, int resizeSize, List<Double> mean, List<Double> std) {

    /** The crop ratio of the official evaluation recipe (224 / 256). */
    public static final double CROP_RATIO = 0.875;

    public static final List<Double> IMAGENET_MEAN = List.of(0.485, 0.456, 0.406);
    public static final List<Double> IMAGENET_STD = List.of(0.229, 0.224, 0.225);

    public Preprocessing {
        mean = List.copyOf(mean);
        std = List.copyOf(std);
        if (inputSize < 1 || resizeSize < inputSize) {
            throw new IllegalArgumentException(
                    "input size " + inputSize + " must be >= 1 and <= resize size " + resizeSize);
        }
        if (mean.size() != 3 || std.size() != 3) {
            throw new IllegalArgumentException("mean and std need 3 values (R, G, B): " + mean + ", " + std);
        }
        for (double s : std) {
            if (s <= 0) {
                throw new IllegalArgumentException("std values must be > 0: " + std);
            }
        }
    }

    /** ImageNet normalisation, crop {@code inputSize} from a resize to {@code inputSize / 0.875}. */
    public static Preprocessing imagenet(int inputSize) {
        return new Preprocessing(inputSize, (int) Math.round(inputSize / CROP_RATIO), IMAGENET_MEAN, IMAGENET_STD);
    }
}
