package org.repvgg4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.repvgg4j.bench.ForwardBench;
import org.repvgg4j.bench.Measurement;
import org.repvgg4j.bench.OneDnnBench;
import org.repvgg4j.bench.OnnxRuntimeBench;
import org.repvgg4j.bench.TorchScriptBench;
import org.repvgg4j.data.ClassIndex;
import org.repvgg4j.data.DatasetSplitter;
import org.repvgg4j.data.ImageDecoder;
import org.repvgg4j.data.ImageTransform;
import org.repvgg4j.data.ListDataset;
import org.repvgg4j.data.ListFile;
import org.repvgg4j.data.RgbImage;
import org.repvgg4j.data.Sample;
import org.repvgg4j.eval.EvalResult;
import org.repvgg4j.eval.Evaluation;
import org.repvgg4j.explain.CamOverlay;
import org.repvgg4j.explain.GradCam;
import org.repvgg4j.infer.Engine;
import org.repvgg4j.io.FileTrees;
import org.repvgg4j.model.Complexity;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.platform.CpuFeatures;
import org.repvgg4j.platform.OneDnnIsa;
import org.repvgg4j.train.Recipe;
import org.repvgg4j.train.TrainSettings;
import org.repvgg4j.train.TrainingEngine;
import org.repvgg4j.train.TrainingRun;
import org.repvgg4j.weights.LoadedModel;
import org.repvgg4j.weights.ModelDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"The main job, end to end, on the embedded Fashion-MNIST sample (examples/fashion-mnist):",
            "split, train RepVGG-A0, convert to deploy form with verification, evaluate the deploy model,",
            "time train vs deploy form. Ends with one summary table. Everything goes to --out."})
final class DemoCommand extends Subcommand implements Callable<Integer> {

    /**
     * Measured on the embedded set at batch 32: in 5 epochs 0.08 ended at 0.815-0.823 where 0.05 ended
     * as low as 0.802 (docs/BENCHMARKS.md, "The demo"); over 15 epochs, rates above 0.05 were less stable.
     */
    private static final double LEARNING_RATE = 0.08;

    /**
     * The garments are centred and small (28x28), and the demo trains for a few epochs only: crops
     * of 90-100% of the image keep their shape and let a short run fit (0.84 validation top-1 after
     * 5 epochs at 48x48, against 0.81 with crops from 70%; docs/BENCHMARKS.md, "The demo").
     */
    private static final double MIN_CROP_SCALE = 0.9;

    /** For the same reason evaluation keeps the whole image instead of cutting an eighth of the border. */
    private static final double EVAL_CROP_RATIO = 1.0;

    /** A short warm-up: the run is only a few epochs long. */
    private static final double WARMUP_EPOCHS = 0.5;

    /** Grad-CAM over stage 2's output: 5x5 at the demo's 40x40, where the last stage is 2x2. */
    private static final String CAM_LAYER = "stage2";

    @Option(names = "--input", paramLabel = "DIR",
            description = "folder of class folders, as split takes it (default: the repository's examples/fashion-mnist)")
    Path data;

    @Option(names = "--out", defaultValue = "runs/demo", description = "working directory, recreated (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--arch", converter = ArchConverter.class, defaultValue = "A0", description = "default: ${DEFAULT-VALUE}")
    RepVggSpec arch;

    @Option(names = "--epochs", defaultValue = "5", description = "default: ${DEFAULT-VALUE}")
    int epochs;

    @Option(names = "--image-size", defaultValue = "40", description = "training crop (default: ${DEFAULT-VALUE})")
    int imageSize;

    @Option(names = "--quiet", description = "no steps, progress or epoch lines: errors and the summary only")
    boolean quiet;

    @Option(names = "--bench-size", defaultValue = "224", description = "input size for the timing step (default: ${DEFAULT-VALUE})")
    int benchSize;

    private final Map<String, Double> stepSeconds = new LinkedHashMap<>();
    private String stepName;
    private long stepStarted;

    @Override
    public Integer call() throws Exception {
        long started = System.nanoTime();
        Path dataset = data != null ? data : defaultData();
        recreate(out);
        Path split = out.resolve("data");
        Path run = out.resolve("run");

        step("1/5 split %s -> %s (val ratio 0.2, seed 0)", dataset, split);
        DatasetSplitter.Report report = DatasetSplitter.split(dataset, split, 0.2, 0, false);
        steps().printf("    %d classes, %d train / %d val images%n", report.classes().size(), report.trainImages(),
                report.valImages());

        step("2/5 train RepVGG-%s, %d epochs at %dx%d -> %s", arch.name(), epochs, imageSize, imageSize, run);
        TrainSettings settings = TrainSettings.builder(split.resolve("train.txt"), split.resolve("val.txt"),
                        split.resolve("annotations.txt"))
                .arch(arch.name()).imageSize(imageSize).epochs(epochs).lr(LEARNING_RATE).warmupEpochs(WARMUP_EPOCHS)
                .cropScale(MIN_CROP_SCALE, Recipe.MAX_CROP_SCALE).cropRatio(EVAL_CROP_RATIO).build();
        TrainingRun.Result trained = TrainCommand.train(run, settings, TrainingEngine.AUTO, false, out(), err(), quiet);

        step("3/5 convert: best epoch (%d) folded into one 3x3 conv per block -> %s", trained.best().epoch(),
                run.resolve("deploy"));
        steps().println("    check: " + trained.deployCheck());

        step("4/5 evaluate the deploy model on %s", split.resolve("val.txt"));
        EvalResult deployScore;
        List<Measurement> timings = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedModel deploy = ModelDirectory.load(run.resolve("deploy"), manager);
            LoadedModel train = ModelDirectory.load(run.resolve("best"), manager);
            ClassIndex classes = ClassIndex.read(split.resolve("annotations.txt"));
            ListFile val = ListFile.read(split.resolve("val.txt"));
            val.check(classes, split.resolve("annotations.txt"));
            List<Sample> samples = val.samples();
            try (ListDataset valData = new ListDataset(samples, ImageTransform.eval(deploy.config().preprocessing()),
                    new ListDataset.Options(64, false, false, 0, Runtime.getRuntime().availableProcessors(), 4))) {
                deployScore = Evaluation.run(deploy.network(), valData, manager);
            }
            steps().printf(Locale.ROOT, "    deploy model: top-1 %.4f, top-5 %.4f on %d images%n",
                    deployScore.top1(), deployScore.top5(), deployScore.images());
            int pictures = explainOnePerClass(deploy, samples, manager);
            steps().printf("    Grad-CAM (%s) of the first validation image of each class -> %s (%d pictures)%n",
                    CAM_LAYER, out.resolve("cam"), pictures);

            boolean bf16 = bf16RunsNatively();
            // Where it is the default engine for this network at this size (AVX-512, no SE blocks).
            boolean onednn = Engine.defaultFor(arch, benchSize) == Engine.ONEDNN;
            step("5/5 time train vs deploy form at %dx%d (batch 1 and 32; deploy also on ONNX Runtime%s%s)", benchSize,
                    benchSize, onednn ? " and oneDNN" : "", bf16 ? ", and in bf16" : "");
            byte[] bf16Archive = bf16 ? TorchScriptBench.bf16(deploy.network(), benchSize) : null;
            for (int batch : new int[] {1, 32}) {
                int iterations = batch == 1 ? 15 : 4;
                timings.add(ForwardBench.run(train.network(), "RepVGG-" + arch.name(), batch, benchSize, 2, iterations, manager));
                timings.add(ForwardBench.run(deploy.network(), "RepVGG-" + arch.name(), batch, benchSize, 2, iterations, manager));
                // The deploy form as users score it: ONNX Runtime or oneDNN is the default engine of predict,
                // eval and batch.
                timings.add(OnnxRuntimeBench.run(deploy.network(), "RepVGG-" + arch.name(), batch, benchSize, 2,
                        iterations, JniUtils.getNumThreads(), manager));
                if (onednn) {
                    timings.add(OneDnnBench.run(deploy.network(), "RepVGG-" + arch.name(), batch, benchSize, 2,
                            iterations, JniUtils.getNumThreads(), manager));
                }
                if (bf16) {
                    // In bench runs AMX halved its speed after about half a second (docs/BENCHMARKS.md, "bf16");
                    // a second of warm-up at batch 32 lets such a slowdown show in the demo's numbers too.
                    int warmup = batch == 1 ? 2 : 12;
                    timings.add(TorchScriptBench.time(bf16Archive, TorchScriptBench.ENGINE_BF16, deploy.network(),
                            "RepVGG-" + arch.name(), batch, benchSize, warmup, iterations, manager));
                }
            }
        }
        BenchCommand.printTable(timings, steps());
        endStep();

        Complexity trainCost = Complexity.of(arch, Form.TRAIN, report.classes().size(), benchSize);
        Complexity deployCost = Complexity.of(arch, Form.DEPLOY, report.classes().size(), benchSize);
        Map<String, String> summary = new LinkedHashMap<>();
        summary.put("data", String.format("%s: %d classes, %d train / %d val", dataset, report.classes().size(),
                report.trainImages(), report.valImages()));
        summary.put("best val top-1 (train form)", String.format(Locale.ROOT, "%.4f at epoch %d of %d",
                trained.best().valTop1(), trained.best().epoch(), epochs));
        summary.put("deploy model val top-1 / top-5", String.format(Locale.ROOT, "%.4f / %.4f", deployScore.top1(), deployScore.top5()));
        summary.put("deploy = train check", String.format(Locale.ROOT, "relative diff %.2e (limit 1e-4) %s",
                trained.deployCheck().relativeDifference(), trained.deployCheck().holds() ? "pass" : "FAIL"));
        summary.put("parameters train / deploy", Format.millions(trainCost.params()) + " / " + Format.millions(deployCost.params()));
        for (Measurement d : timings) {
            if (d.form().equals("deploy")) {
                Measurement t = timings.stream().filter(m -> m.form().equals("train") && m.batch() == d.batch()).findFirst().orElseThrow();
                String key = d.engine().equals(t.engine()) ? "speed-up deploy vs train, batch " + d.batch()
                        : "deploy on " + d.engine() + " vs train, batch " + d.batch();
                summary.put(key, String.format(Locale.ROOT, "%.2fx (%.1f vs %.1f img/s at %dx%d)",
                        t.medianMs() / d.medianMs(), d.imagesPerSecond(), t.imagesPerSecond(), benchSize, benchSize));
            }
        }
        // The timings on DJL PyTorch depend on it (README, "ONEDNN_MAX_CPU_ISA"; repvgg doctor)
        summary.put("libtorch convolution kernels", OneDnnIsa.VARIABLE + "=" + OneDnnIsa.describe());
        summary.put("outputs", run + "/{metrics.csv, curves.png, best/, deploy/}, " + out.resolve("cam") + "/");
        summary.put("time per step", String.join(", ", stepSeconds.entrySet().stream()
                .map(e -> e.getKey().replaceAll("^\\d+/\\d+ ", "") + " " + Format.fixed(e.getValue(), 1) + " s").toList()));
        summary.put("demo time", Format.fixed((System.nanoTime() - started) / 1e9, 1) + " s");
        out().println();
        int width = summary.keySet().stream().mapToInt(String::length).max().orElse(10);
        out().println("-".repeat(width + 50));
        for (Map.Entry<String, String> e : summary.entrySet()) {
            out().printf("%-" + width + "s  %s%n", e.getKey(), e.getValue());
        }
        out().println("-".repeat(width + 50));
        return 0;
    }

    /**
     * Whether the timing step also runs the deploy form in bf16: where the processor computes in bf16
     * and oneDNN may use those instructions (elsewhere bf16 is slower than fp32 and says nothing new).
     */
    private static boolean bf16RunsNatively() {
        String isa = OneDnnIsa.current();
        return CpuFeatures.hasBf16() && (isa == null || isa.equalsIgnoreCase(OneDnnIsa.DEFAULT)
                || isa.toUpperCase(Locale.ROOT).contains("AMX"));
    }

    /**
     * Grad-CAM pictures, {@code <true class>.png} or {@code <true class>_as_<predicted>.png}, of the
     * first validation image of each class. The demo's maps are over stage 2, as the last stage of a
     * 40x40 input is only 2x2.
     */
    private int explainOnePerClass(LoadedModel model, List<Sample> samples, NDManager manager) throws IOException {
        Path dir = Files.createDirectories(out.resolve("cam"));
        List<String> names = model.config().classes();
        ImageTransform transform = ImageTransform.eval(model.config().preprocessing());
        java.util.Set<Integer> done = new java.util.HashSet<>();
        try (GradCam cam = GradCam.of(model.network(), CAM_LAYER, manager)) {
            for (Sample sample : samples) {
                if (!done.add(sample.label())) {
                    continue;
                }
                RgbImage image = ImageDecoder.read(sample.path());
                GradCam.ClassMap map = cam.explain(transform.apply(image, null), transform.size(), -1);
                String name = names.get(sample.label())
                        + (map.classIndex() == sample.label() ? "" : "_as_" + names.get(map.classIndex()));
                CamOverlay.writePng(dir.resolve(name + ".png"), image, model.config().preprocessing(), map,
                        CamOverlay.MIN_SIDE);
            }
        }
        return done.size();
    }

    /** examples/fashion-mnist beside the launcher (repvgg.home) or under the working directory. */
    private static Path defaultData() {
        String home = System.getProperty("repvgg.home");
        Path base = home != null ? Path.of(home) : Path.of("");
        Path data = base.resolve("examples").resolve("fashion-mnist");
        if (!Files.isDirectory(data)) {
            throw new IllegalArgumentException(data.toAbsolutePath() + " not found; pass --input DIR (a folder of class folders)");
        }
        return data;
    }

    /** The demo owns --out: a previous demo there is removed; anything else is refused. */
    private static void recreate(Path dir) throws IOException {
        if (Files.exists(dir)) {
            boolean previousDemo = Files.exists(dir.resolve("data").resolve("annotations.txt"))
                    || Files.exists(dir.resolve("run").resolve(TrainSettings.FILE));
            boolean empty;
            try (Stream<Path> s = Files.list(dir)) {
                empty = s.findAny().isEmpty();
            }
            if (!previousDemo && !empty) {
                throw new IOException(dir + " exists and is not a previous demo; choose another --out");
            }
            FileTrees.delete(dir);
        }
        Files.createDirectories(dir);
    }

    /** Starts a step: prints its title and how long the step before it took. */
    private void step(String format, Object... args) {
        endStep();
        steps().printf("== " + format + "%n", args);
        stepName = String.format(format, args).replaceAll("^(\\d+/\\d+ \\w+).*", "$1");
        stepStarted = System.nanoTime();
    }

    private void endStep() {
        if (stepName != null) {
            double seconds = (System.nanoTime() - stepStarted) / 1e9;
            stepSeconds.put(stepName, seconds);
            steps().printf(Locale.ROOT, "   (%s: %.1f s)%n", stepName, seconds);
            stepName = null;
        }
    }

    /** Where the steps and their numbers go: standard output, or nowhere with --quiet (the summary remains). */
    private java.io.PrintWriter steps() {
        return quiet ? new java.io.PrintWriter(java.io.Writer.nullWriter()) : out();
    }
}
