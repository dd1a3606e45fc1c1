package org.repvgg4j.train;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.repvgg4j.data.augment.Augmentation;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.weights.Preprocessing;

/**
 * Everything that defines a training run, saved as {@code run.json} so that {@code --resume}
 * continues with exactly the same data, schedule and seed.
 *
 * @param warmupEpochs linear warm-up length, in epochs (fractions allowed)
 * @param emaDecay decay of the weight moving average; 0 turns it off
 * @param minScale smallest crop area fraction of RandomResizedCrop
 * @param cropRatio evaluation crop / resize (0.875: resize to size / 0.875, crop size; 1: no border cut)
 * @param mixup alpha of Mixup's Beta distribution; 0 turns it off (a run.json from before has 0)
 * @param cutmix alpha of CutMix's Beta distribution; 0 turns it off
 * @param augment AutoAugment or RandAugment policy (see {@link Augmentation#parse}); null or "none" for none
 *     (a run.json from before has none)
 * @param randomErasing probability of Random Erasing per training crop; 0 turns it off
 * @param customL2 the official code's custom L2 ({@link CustomL2}) instead of plain weight decay on the
 *     branches' kernels (false in a run.json from before)
 * @param freezeThrough the last frozen stage, {@code stage0} (the stem) .. {@code stage4}; null or "none"
 *     freezes nothing (as a run.json from before)
 * @param balanced draw training images class-balanced ({@code ListDataset.Options}); false in a run.json
 *     from before
 */
public record TrainSettings(String arch, String trainList, String valList, String classFile, String init,
        int imageSize, int epochs, int batchSize, double lr, double minLr, double warmupEpochs, double momentum,
        double weightDecay, double labelSmoothing, double emaDecay, double minScale, double maxScale, double cropRatio,
        long seed, int workers, double mixup, double cutmix, String augment, double randomErasing,
        boolean customL2, String freezeThrough, boolean balanced) {

    public static final String FILE = "run.json";
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    public TrainSettings {
        RepVggSpec.parse(arch);
        if (epochs < 1 || batchSize < 2 || imageSize < 8) {
            throw new IllegalArgumentException("need epochs >= 1, batch size >= 2 and image size >= 8");
        }
        if (!(cropRatio > 0 && cropRatio <= 1)) {
            throw new IllegalArgumentException("crop ratio must be in (0, 1], got " + cropRatio);
        }
        if (mixup < 0 || cutmix < 0) {
            throw new IllegalArgumentException("mixup and cutmix alphas must be >= 0, got " + mixup + " and " + cutmix);
        }
        Augmentation.parse(augment);
        frozenStages();
        if (!(randomErasing >= 0 && randomErasing <= 1)) {
            throw new IllegalArgumentException("random erasing probability must be in [0, 1], got " + randomErasing);
        }
    }

    /** The last frozen stage (0 = the stem, 4 = every block), or -1 if nothing is frozen. */
    public int frozenStages() {
        return RepVgg.lastFrozenStage(freezeThrough);
    }

    /** The options beyond the official recipe that are on, in words, for the log: "mixup 0.2", "custom L2", ... */
    public java.util.List<String> extras() {
        java.util.List<String> on = new java.util.ArrayList<>();
        if (emaDecay > 0) {
            on.add("EMA " + emaDecay);
        }
        if (mixup > 0) {
            on.add("mixup " + mixup);
        }
        if (cutmix > 0) {
            on.add("cutmix " + cutmix);
        }
        Augmentation policy = augmentation();
        if (policy != null) {
            on.add("augment " + policy.id());
        }
        if (randomErasing > 0) {
            on.add("random erasing " + randomErasing);
        }
        if (customL2) {
            on.add("custom L2");
        }
        if (frozenStages() >= 0) {
            on.add("frozen through stage" + frozenStages());
        }
        if (balanced) {
            on.add("class-balanced drawing");
        }
        return on;
    }

    /** The training crops' augmentation policy, or null for none. */
    public Augmentation augmentation() {
        return Augmentation.parse(augment);
    }

    /** Evaluation preprocessing: ImageNet normalisation, resize to size / cropRatio, center crop. */
    public Preprocessing preprocessing() {
        return new Preprocessing(imageSize, (int) Math.round(imageSize / cropRatio),
                Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD);
    }

    public RepVggSpec spec() {
        return RepVggSpec.parse(arch);
    }

    public void write(Path runDir) throws IOException {
        Files.createDirectories(runDir);
        Path tmp = runDir.resolve(FILE + ".tmp");
        Files.writeString(tmp, GSON.toJson(this) + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, runDir.resolve(FILE), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    public static TrainSettings read(Path runDir) throws IOException {
        Path file = runDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "not a training run (no " + FILE + ")");
        }
        try {
            JsonObject o = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
            return GSON.fromJson(o, TrainSettings.class);
        } catch (RuntimeException e) {
            throw new IOException(file + ": unreadable run settings (" + e.getMessage() + ")", e);
        }
    }

    /**
     * A run of the official recipe ({@link Recipe}) on these lists; change what differs, then
     * {@link Builder#build()}. Paths are stored absolute, so that {@code --resume} works from anywhere.
     *
     * <pre>{@code
     * TrainSettings settings = TrainSettings.builder(train, val, classes).arch("A0").epochs(12).imageSize(48).build();
     * }</pre>
     */
    public static Builder builder(Path trainList, Path valList, Path classFile) {
        return new Builder(absolute(trainList), absolute(valList), absolute(classFile));
    }

    private static String absolute(Path p) {
        return p.toAbsolutePath().normalize().toString();
    }

    /** Settings that start from the official recipe; every setter names what it changes. */
    public static final class Builder {
        private final String trainList;
        private final String valList;
        private final String classFile;
        private String arch = Recipe.ARCH;
        private String init;
        private int imageSize = Recipe.IMAGE_SIZE;
        private int epochs = Recipe.EPOCHS;
        private int batchSize = Recipe.BATCH_SIZE;
        private Double lr;
        private double minLr = Recipe.MIN_LR;
        private Double warmupEpochs;
        private double momentum = Recipe.MOMENTUM;
        private double weightDecay = Recipe.WEIGHT_DECAY;
        private double labelSmoothing = Recipe.LABEL_SMOOTHING;
        private double emaDecay;
        private double minScale = Recipe.MIN_CROP_SCALE;
        private double maxScale = Recipe.MAX_CROP_SCALE;
        private double cropRatio = Recipe.CROP_RATIO;
        private long seed = Recipe.SEED;
        private int workers = Recipe.workers();
        private double mixup;
        private double cutmix;
        private String augment = "none";
        private double randomErasing;
        private boolean customL2;
        private String freezeThrough = "none";
        private boolean balanced;

        private Builder(String trainList, String valList, String classFile) {
            this.trainList = trainList;
            this.valList = valList;
            this.classFile = classFile;
        }

        /** A variant name ({@code A0}, {@code B1g4}, ...) or a custom spec ({@link RepVggSpec#parse}). */
        public Builder arch(String arch) {
            this.arch = RepVggSpec.parse(arch).name();
            return this;
        }

        /** Start from this train-form model directory (the head is re-initialised if the classes differ). */
        public Builder init(Path modelDir) {
            this.init = modelDir == null ? null : absolute(modelDir);
            return this;
        }

        public Builder imageSize(int imageSize) {
            this.imageSize = imageSize;
            return this;
        }

        public Builder epochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /** The peak learning rate; by default {@link Recipe#lr} of the batch size. */
        public Builder lr(double lr) {
            this.lr = lr;
            return this;
        }

        public Builder minLr(double minLr) {
            this.minLr = minLr;
            return this;
        }

        /** Linear warm-up in epochs (fractions allowed); by default {@link Recipe#warmupEpochs} of the epochs. */
        public Builder warmupEpochs(double warmupEpochs) {
            this.warmupEpochs = warmupEpochs;
            return this;
        }

        public Builder momentum(double momentum) {
            this.momentum = momentum;
            return this;
        }

        public Builder weightDecay(double weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        public Builder labelSmoothing(double labelSmoothing) {
            this.labelSmoothing = labelSmoothing;
            return this;
        }

        /** Evaluate and keep a moving average of the weights with this decay (e.g. 0.999); 0 turns it off. */
        public Builder ema(double decay) {
            this.emaDecay = decay;
            return this;
        }

        /** RandomResizedCrop's range of crop areas, as fractions of the image. */
        public Builder cropScale(double min, double max) {
            this.minScale = min;
            this.maxScale = max;
            return this;
        }

        /** Evaluation resizes to {@code size / ratio} and crops {@code size}; 1 keeps the whole image. */
        public Builder cropRatio(double cropRatio) {
            this.cropRatio = cropRatio;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Image decoding threads. */
        public Builder workers(int workers) {
            this.workers = workers;
            return this;
        }

        public Builder mixup(double alpha) {
            this.mixup = alpha;
            return this;
        }

        public Builder cutmix(double alpha) {
            this.cutmix = alpha;
            return this;
        }

        /** An AutoAugment or RandAugment policy ({@link Augmentation#parse}); {@code none} for none. */
        public Builder augment(String policy) {
            Augmentation parsed = Augmentation.parse(policy);
            this.augment = parsed == null ? "none" : parsed.id();
            return this;
        }

        public Builder randomErasing(double probability) {
            this.randomErasing = probability;
            return this;
        }

        /** The official code's custom L2 ({@link CustomL2}) instead of plain weight decay on the kernels. */
        public Builder customL2(boolean customL2) {
            this.customL2 = customL2;
            return this;
        }

        /** Keep the stem and stages up to {@code stage} ({@code stage0} .. {@code stage4}) as they are; {@code none}. */
        public Builder freezeThrough(String stage) {
            this.freezeThrough = stage;
            return this;
        }

        /** Draw each epoch's images class by class, every class equally often. */
        public Builder balanced(boolean balanced) {
            this.balanced = balanced;
            return this;
        }

        /** The settings; throws {@link IllegalArgumentException} naming a value out of range. */
        public TrainSettings build() {
            return new TrainSettings(arch, trainList, valList, classFile, init, imageSize, epochs, batchSize,
                    lr != null ? lr : Recipe.lr(batchSize), minLr,
                    warmupEpochs != null ? warmupEpochs : Recipe.warmupEpochs(epochs), momentum, weightDecay,
                    labelSmoothing, emaDecay, minScale, maxScale, cropRatio, seed, workers, mixup, cutmix, augment,
                    randomErasing, customL2, freezeThrough, balanced);
        }
    }
}
