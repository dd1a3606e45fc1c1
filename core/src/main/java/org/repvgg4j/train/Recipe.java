package org.repvgg4j.train;

/**
 * The official RepVGG training recipe's defaults, the values {@code repvgg train --help} shows and
 * {@link TrainSettings#builder} starts from: SGD with Nesterov momentum, weight decay (not on biases
 * and batch norms), a cosine schedule with linear warm-up, label smoothing, RandomResizedCrop and a
 * flip for training, resize and center crop for evaluation.
 */
public final class Recipe {

    public static final String ARCH = "A0";
    public static final int EPOCHS = 30;
    public static final int BATCH_SIZE = 32;
    public static final int IMAGE_SIZE = 224;

    /** The official learning rate, for a batch of {@link #BASE_BATCH_SIZE}; scaled linearly with the batch size. */
    public static final double BASE_LR = 0.1;
    public static final int BASE_BATCH_SIZE = 256;
    public static final double MIN_LR = 0;

    /** Warm-up is a tenth of the epochs, at most this many. */
    public static final double MAX_WARMUP_EPOCHS = 5;

    public static final double MOMENTUM = 0.9;
    public static final double WEIGHT_DECAY = 1e-4;
    public static final double LABEL_SMOOTHING = 0.1;

    /** RandomResizedCrop's range of crop areas, as fractions of the image. */
    public static final double MIN_CROP_SCALE = 0.08;
    public static final double MAX_CROP_SCALE = 1;

    /** Evaluation resizes to {@code size / CROP_RATIO} and crops {@code size}. */
    public static final double CROP_RATIO = 0.875;

    public static final long SEED = 0;

    private Recipe() {
    }

    /** The peak learning rate for a batch size: {@code 0.1 x batch / 256}. */
    public static double lr(int batchSize) {
        return BASE_LR * batchSize / BASE_BATCH_SIZE;
    }

    /** The warm-up length for a run of {@code epochs}: a tenth of it, at most {@value #MAX_WARMUP_EPOCHS} epochs. */
    public static double warmupEpochs(int epochs) {
        return Math.min(MAX_WARMUP_EPOCHS, epochs / 10.0);
    }

    /** Image decoding threads: one per core. */
    public static int workers() {
        return Runtime.getRuntime().availableProcessors();
    }
}
