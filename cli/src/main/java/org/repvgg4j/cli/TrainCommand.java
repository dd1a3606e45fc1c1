package org.repvgg4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.repvgg4j.data.ClassIndex;
import org.repvgg4j.data.ListEntry;
import org.repvgg4j.data.ListFile;
import org.repvgg4j.data.Sample;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.platform.ConvolutionVerdicts;
import org.repvgg4j.platform.TrainingConvolutions;
import org.repvgg4j.train.EpochMetrics;
import org.repvgg4j.train.Recipe;
import org.repvgg4j.train.TrainSettings;
import org.repvgg4j.train.TrainingEngine;
import org.repvgg4j.train.TrainingRun;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a train-form RepVGG on list files with the official recipe: SGD with Nesterov",
            "momentum 0.9, weight decay 1e-4 (not on biases and BN), cosine schedule with linear warm-up,",
            "label smoothing 0.1. Writes runs/NAME/{run.json, metrics.csv, last/, best/, deploy/, curves.png};",
            "'repvgg train --resume runs/NAME' continues an interrupted run."})
final class TrainCommand extends Subcommand implements Callable<Integer> {

    static final class NewRun {
        @Option(names = "--train", required = true, description = "training list (<image path> <label> per line)")
        Path train;

        @Option(names = "--val", required = true, description = "validation list")
        Path val;

        @Option(names = "--classes", required = true, description = "class file (annotations.txt)")
        Path classes;

        @Option(names = "--out", required = true, description = "run directory to create, e.g. runs/flowers")
        Path out;

        @Option(names = "--arch", defaultValue = Recipe.ARCH, converter = ArchConverter.class,
                description = "RepVGG variant or custom spec (default: ${DEFAULT-VALUE})")
        RepVggSpec arch;

        @Option(names = "--epochs", defaultValue = "" + Recipe.EPOCHS, description = "default: ${DEFAULT-VALUE}")
        int epochs;

        @Option(names = "--batch-size", defaultValue = "" + Recipe.BATCH_SIZE, description = "default: ${DEFAULT-VALUE}")
        int batchSize;

        @Option(names = "--lr", description = "peak learning rate (default: 0.1 x batch size / 256, the official rate scaled)")
        Double lr;

        @Option(names = "--min-lr", defaultValue = "" + Recipe.MIN_LR, description = "learning rate at the end of the cosine (default: ${DEFAULT-VALUE})")
        double minLr;

        @Option(names = "--warmup-epochs", description = "linear warm-up (default: 5, or a tenth of the epochs if fewer than 50)")
        Double warmupEpochs;

        @Option(names = "--image-size", defaultValue = "" + Recipe.IMAGE_SIZE,
                description = "training crop; evaluation resizes to size/0.875 and crops size (default: ${DEFAULT-VALUE})")
        int imageSize;

        @Option(names = "--weight-decay", defaultValue = "" + Recipe.WEIGHT_DECAY, description = "default: ${DEFAULT-VALUE}")
        double weightDecay;

        @Option(names = "--momentum", defaultValue = "" + Recipe.MOMENTUM, description = "Nesterov momentum (default: ${DEFAULT-VALUE})")
        double momentum;

        @Option(names = "--label-smoothing", defaultValue = "" + Recipe.LABEL_SMOOTHING, description = "0 turns it off (default: ${DEFAULT-VALUE})")
        double labelSmoothing;

        @Option(names = "--mixup", defaultValue = "0", paramLabel = "ALPHA",
                description = "Mixup: blend each batch with itself reversed, weight ~ Beta(ALPHA, ALPHA) (e.g. 0.2; default: off)")
        double mixup;

        @Option(names = "--cutmix", defaultValue = "0", paramLabel = "ALPHA",
                description = "CutMix: paste a box from the reversed batch, area ~ Beta(ALPHA, ALPHA) (e.g. 1.0; default: off); "
                        + "with --mixup too, each batch uses one of the two")
        double cutmix;

        @Option(names = "--augment", defaultValue = "none", paramLabel = "POLICY",
                description = "per-crop augmentation after the flip: none, autoaugment (the ImageNet policy, as the "
                        + "official RepVGG-B2/B3 recipes use), randaugment (timm's rand-m9-mstd0.5-inc1), or a timm "
                        + "string such as rand-m7-n2-mstd0.5 or original-mstd0.5 (default: ${DEFAULT-VALUE})")
        String augment;

        @Option(names = "--random-erasing", defaultValue = "0", paramLabel = "P",
                description = "Random Erasing: with probability P, a rectangle of the crop becomes noise (timm's "
                        + "pixel mode; e.g. 0.25; default: off)")
        double randomErasing;

        @Option(names = "--custom-l2",
                description = "the official RepVGG code's custom L2: decay the 3x3 kernels' outer ring and the fused centre "
                        + "tap (3x3 centre and 1x1, scaled by their BNs) instead of each branch's kernel (default: off)")
        boolean customL2;

        @Option(names = "--freeze-through", defaultValue = "none", paramLabel = "STAGE",
                description = "keep the stem and stages up to STAGE as they are (with --init: fine-tune the rest): "
                        + "stage0 (the stem) .. stage4 (only the classifier trains); frozen blocks keep their batch-norm "
                        + "statistics and take no backward pass (default: ${DEFAULT-VALUE})")
        String freezeThrough;

        @Option(names = "--balanced",
                description = "draw each epoch's training images class by class: every class equally often, images of "
                        + "rare classes repeated (with replacement); for lists where some classes have far fewer images "
                        + "(default: off, each image once per epoch)")
        boolean balanced;

        @Option(names = "--ema", defaultValue = "0",
                description = "decay of an exponential moving average of the weights, evaluated and saved instead (e.g. 0.999; default: off)")
        double ema;

        @Option(names = "--crop-scale", split = ",", defaultValue = Recipe.MIN_CROP_SCALE + "," + Recipe.MAX_CROP_SCALE,
                description = "RandomResizedCrop area range (default: ${DEFAULT-VALUE})")
        List<Double> cropScale;

        @Option(names = "--crop-ratio", defaultValue = "" + Recipe.CROP_RATIO,
                description = "evaluation: resize to size / ratio, then crop size (default: ${DEFAULT-VALUE}; 1 keeps the whole image)")
        double cropRatio;

        @Option(names = "--init", description = "start from this train-form model directory (head re-initialised if the classes differ)")
        Path init;

        @Option(names = "--seed", defaultValue = "" + Recipe.SEED, description = "default: ${DEFAULT-VALUE}")
        long seed;

        @Option(names = "--workers", description = "image decoding threads (default: one per core)")
        Integer workers;
    }

    @ArgGroup(exclusive = false)
    NewRun fresh;

    @Option(names = "--resume", description = "continue the run in this directory from its last finished epoch")
    Path resume;

    @Option(names = "--quiet", description = "no progress and no line per epoch: errors and the final result only")
    boolean quiet;

    @Option(names = "--engine", defaultValue = "auto", paramLabel = "ENGINE",
            description = "what computes the training steps: onednn (one oneDNN graph, faster), pytorch (libtorch through "
                    + "DJL; every option), or auto: onednn unless an option needs pytorch or the graph's convolutions "
                    + "check wrong on this CPU (default: ${DEFAULT-VALUE})")
    String engine;

    @Override
    public Integer call() throws Exception {
        if ((fresh == null) == (resume == null)) {
            throw new IllegalArgumentException("give either --train/--val/--classes/--out for a new run, or --resume DIR");
        }
        TrainSettings settings;
        Path runDir;
        if (resume != null) {
            runDir = resume;
            settings = TrainSettings.read(resume);
        } else {
            runDir = fresh.out;
            settings = settingsOf(fresh);
        }
        TrainingRun.Result result = train(runDir, settings, TrainingEngine.parse(engine), resume != null, out(), err(),
                quiet);
        out().printf(Locale.ROOT, "best val top-1 %.4f (epoch %d); deploy model in %s%n",
                result.best().valTop1(), result.best().epoch(), runDir.resolve("deploy"));
        return 0;
    }

    static TrainSettings settingsOf(NewRun o) {
        if (o.cropScale.size() != 2) {
            throw new IllegalArgumentException("--crop-scale takes two numbers, e.g. 0.08,1");
        }
        TrainSettings.Builder settings = TrainSettings.builder(o.train, o.val, o.classes).arch(o.arch.name()).init(o.init)
                .imageSize(o.imageSize).epochs(o.epochs).batchSize(o.batchSize).minLr(o.minLr).momentum(o.momentum)
                .weightDecay(o.weightDecay).labelSmoothing(o.labelSmoothing).ema(o.ema)
                .cropScale(o.cropScale.get(0), o.cropScale.get(1)).cropRatio(o.cropRatio).seed(o.seed).mixup(o.mixup)
                .cutmix(o.cutmix).augment(o.augment).randomErasing(o.randomErasing).customL2(o.customL2)
                .freezeThrough(o.freezeThrough).balanced(o.balanced);
        if (o.lr != null) {
            settings.lr(o.lr);
        }
        if (o.warmupEpochs != null) {
            settings.warmupEpochs(o.warmupEpochs);
        }
        if (o.workers != null) {
            settings.workers(o.workers);
        }
        return settings.build();
    }

    /**
     * Reads and checks the lists (all problems before any training), then trains: on a terminal with a
     * progress bar per epoch, elsewhere with one line per epoch, with {@code quiet} without either.
     */
    static TrainingRun.Result train(Path runDir, TrainSettings settings, TrainingEngine engine, boolean resume,
            java.io.PrintWriter out, java.io.PrintWriter err, boolean quiet) throws IOException {
        Path classFile = Path.of(settings.classFile());
        ClassIndex classes = ClassIndex.read(classFile);
        List<Sample> train = samples(Path.of(settings.trainList()), classes, classFile);
        List<Sample> val = samples(Path.of(settings.valList()), classes, classFile);
        java.io.PrintWriter steps = quiet ? new java.io.PrintWriter(java.io.Writer.nullWriter()) : out;
        steps.printf(Locale.ROOT, "%s RepVGG-%s on %d training / %d validation images, %d classes, %dx%d, "
                        + "%d epochs, batch %d, lr %.4g%n", resume ? "resuming" : "training", settings.spec().name(),
                train.size(), val.size(), classes.size(), settings.imageSize(), settings.imageSize(), settings.epochs(),
                settings.batchSize(), settings.lr());
        if (!settings.extras().isEmpty()) {
            steps.println("  with " + String.join(", ", settings.extras()));
        }
        List<ConvolutionVerdicts.Workload> workloads = List.of(ConvolutionVerdicts.Workload.training(settings.spec(),
                settings.imageSize(), settings.batchSize(), val.size()));
        TrainingConvolutions convolutions = ConvolutionChoice.applyFor(workloads, err);
        ProgressLine bar = ProgressLine.of(err, quiet);
        return TrainingRun.run(runDir, settings, convolutions, engine, classes, train, val, resume,
                new TrainingRun.Listener() {
            @Override
            public void batch(int epoch, int batch, int batches, double loss, double imagesPerSecond) {
                if (bar.style() != ProgressLine.Style.REDRAW) {
                    return; // in a log, the epoch's line below is its progress
                }
                bar.update(String.format(Locale.ROOT, "epoch %d/%d", epoch, settings.epochs()), batch, batches,
                        String.format(Locale.ROOT, "loss %.4f %.1f img/s", loss, imagesPerSecond),
                        imagesPerSecond, (double) (batches - batch) * settings.batchSize());
            }

            @Override
            public void epoch(EpochMetrics m, boolean best) {
                bar.finish();
                steps.printf(Locale.ROOT, "epoch %d/%d  lr %.3g  train loss %.4f top-1 %.4f  val loss %.4f top-1 %.4f "
                                + "top-5 %.4f  %.1f img/s  %.1f s%s%n", m.epoch(), settings.epochs(), m.lr(), m.trainLoss(),
                        m.trainTop1(), m.valLoss(), m.valTop1(), m.valTop5(), m.imagesPerSecond(), m.seconds(),
                        best ? "  (best)" : "");
            }

            @Override
            public void message(String line) {
                bar.finish();
                out.println(line);
            }
        });
    }

    private static List<Sample> samples(Path list, ClassIndex classes, Path classFile) throws IOException {
        ListFile file = ListFile.read(list);
        file.check(classes, classFile);
        return file.samples();
    }
}
