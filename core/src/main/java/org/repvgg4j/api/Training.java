package org.repvgg4j.api;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.repvgg4j.data.ClassIndex;
import org.repvgg4j.data.ListFile;
import org.repvgg4j.data.Sample;
import org.repvgg4j.platform.TrainingConvolutions;
import org.repvgg4j.train.EpochMetrics;
import org.repvgg4j.train.TrainSettings;
import org.repvgg4j.train.TrainingEngine;
import org.repvgg4j.train.TrainingRun;

/**
 * Trains a RepVGG classifier on list files, starting from the official recipe's defaults (the values
 * {@code repvgg train --help} shows), as {@code repvgg train} does: the run directory gets {@code
 * last/}, {@code best/}, the converted {@code deploy/} model and {@code metrics.csv}, and a stopped run
 * resumes where it was.
 *
 * <pre>{@code
 * Training.Result result = Training.builder(Path.of("data/train.txt"), Path.of("data/val.txt"),
 *                 Path.of("data/annotations.txt"))
 *         .arch("A0").epochs(10).batchSize(32)
 *         .listener(new Training.Listener() {
 *             public void epoch(Training.Epoch e, boolean best) {
 *                 System.out.printf("epoch %d val top-1 %.3f%n", e.epoch(), e.valTop1());
 *             }
 *         })
 *         .run(Path.of("runs/flowers"));
 * try (RepVggModel model = RepVggModel.load(result.deployModel())) { ... }
 * }</pre>
 */
public final class Training {

    private Training() {
    }

    /** A new run on these lists ({@code <image path> <label index>} per line) and class file ({@code annotations.txt}). */
    public static Builder builder(Path trainList, Path valList, Path classFile) {
        return new Builder(TrainSettings.builder(trainList, valList, classFile));
    }

    /** Continues the run in {@code runDir} from its last finished epoch, with the settings it was started with. */
    public static Result resume(Path runDir, Listener listener) throws IOException {
        return train(runDir, TrainSettings.read(runDir), TrainingEngine.AUTO, true, listener);
    }

    /** Progress of a run; every method runs on the training thread, and each does nothing unless overridden. */
    public interface Listener {
        /** After each training batch: the loss averaged over the epoch so far and the current speed. */
        default void batch(int epoch, int batch, int batches, double runningLoss, double imagesPerSecond) {
        }

        /** After each epoch's validation; {@code best} when it is the best val top-1 so far (kept in {@code best/}). */
        default void epoch(Epoch epoch, boolean best) {
        }

        /** A line of news (a resumed run, skipped images, the deploy conversion check). */
        default void message(String line) {
        }
    }

    /** One finished epoch (a row of {@code metrics.csv}); accuracies are fractions. */
    public record Epoch(int epoch, double lr, double trainLoss, double trainTop1, double valLoss, double valTop1,
            double valTop5, double imagesPerSecond, double seconds) {

        static Epoch of(EpochMetrics m) {
            return new Epoch(m.epoch(), m.lr(), m.trainLoss(), m.trainTop1(), m.valLoss(), m.valTop1(), m.valTop5(),
                    m.imagesPerSecond(), m.seconds());
        }
    }

    /**
     * What a finished run produced: every epoch, the best, and the best model converted to deploy form
     * ({@code deployModel}, loadable with {@link RepVggModel#load(Path)} or DJL's {@code Criteria}).
     *
     * @param deployDifference the largest difference between deploy and train form outputs, relative to
     *     the outputs' scale, on a random batch
     */
    public record Result(List<Epoch> history, Epoch best, Path deployModel, double deployDifference,
            int skippedImages) {

        public Result {
            history = List.copyOf(history);
        }
    }

    /** The recipe's settings, changed where you say; {@link #run(Path)} starts the run. */
    public static final class Builder {
        private final TrainSettings.Builder settings;
        private Listener listener = new Listener() { };
        private TrainingEngine engine = TrainingEngine.AUTO;

        private Builder(TrainSettings.Builder settings) {
            this.settings = settings;
        }

        /** A variant ({@code A0} .. {@code B3g4}, {@code D2se}) or a custom spec ({@code depths=...;widths=...}). */
        public Builder arch(String arch) {
            settings.arch(arch);
            return this;
        }

        /** Start from a train-form model directory (an imported ImageNet checkpoint); the head is re-initialised if the classes differ. */
        public Builder init(Path modelDir) {
            settings.init(modelDir);
            return this;
        }

        public Builder imageSize(int imageSize) {
            settings.imageSize(imageSize);
            return this;
        }

        public Builder epochs(int epochs) {
            settings.epochs(epochs);
            return this;
        }

        /** The batch size; the learning rate follows it ({@code 0.1 x batch / 256}) unless {@link #lr} is given. */
        public Builder batchSize(int batchSize) {
            settings.batchSize(batchSize);
            return this;
        }

        /** The peak learning rate (smaller when starting from pretrained weights). */
        public Builder lr(double lr) {
            settings.lr(lr);
            return this;
        }

        public Builder warmupEpochs(double warmupEpochs) {
            settings.warmupEpochs(warmupEpochs);
            return this;
        }

        public Builder labelSmoothing(double labelSmoothing) {
            settings.labelSmoothing(labelSmoothing);
            return this;
        }

        public Builder seed(long seed) {
            settings.seed(seed);
            return this;
        }

        /** Threads that decode and augment images. */
        public Builder workers(int workers) {
            settings.workers(workers);
            return this;
        }

        /**
         * What computes the steps, as {@code repvgg train --engine}: {@code auto} (the default: oneDNN
         * where the run's settings allow it and its convolutions check right on this CPU, else libtorch),
         * {@code onednn} (an error where they do not) or {@code pytorch}. The listener's messages say which
         * ran. Both train the same network to the same numbers; oneDNN is faster.
         *
         * @throws IllegalArgumentException for any other name
         */
        public Builder engine(String engine) {
            this.engine = TrainingEngine.parse(engine);
            return this;
        }

        public Builder listener(Listener listener) {
            this.listener = listener;
            return this;
        }

        /**
         * Trains into {@code runDir}.
         *
         * @throws IOException if {@code runDir} already holds a run (resume it with {@link Training#resume}),
         *     or a list, the class file or an output cannot be read or written
         * @throws IllegalArgumentException if a setting is out of range or a list line is wrong (the message
         *     names the file and line)
         */
        public Result run(Path runDir) throws IOException {
            return train(runDir, settings.build(), engine, false, listener);
        }
    }

    private static Result train(Path runDir, TrainSettings settings, TrainingEngine engine, boolean resume,
            Listener listener) throws IOException {
        Path classFile = Path.of(settings.classFile());
        ClassIndex classes = ClassIndex.read(classFile);
        List<Sample> train = samples(Path.of(settings.trainList()), classes, classFile);
        List<Sample> val = samples(Path.of(settings.valList()), classes, classFile);
        // Stride-2 layers train from their phases, right on every CPU; checking which layout is faster
        // on this machine is the command line's job, not a library call's.
        TrainingRun.Result result = TrainingRun.run(runDir, settings, TrainingConvolutions.unchecked(), engine, classes,
                train, val, resume, new TrainingRun.Listener() {
                    @Override
                    public void batch(int epoch, int batch, int batches, double runningLoss, double imagesPerSecond) {
                        listener.batch(epoch, batch, batches, runningLoss, imagesPerSecond);
                    }

                    @Override
                    public void epoch(EpochMetrics metrics, boolean best) {
                        listener.epoch(Epoch.of(metrics), best);
                    }

                    @Override
                    public void message(String line) {
                        listener.message(line);
                    }
                });
        return new Result(result.history().stream().map(Epoch::of).toList(), Epoch.of(result.best()),
                runDir.resolve("deploy"), result.deployCheck().relativeDifference(), result.skippedImages());
    }

    private static List<Sample> samples(Path list, ClassIndex classes, Path classFile) throws IOException {
        ListFile file = ListFile.read(list);
        file.check(classes, classFile);
        return file.samples();
    }
}
