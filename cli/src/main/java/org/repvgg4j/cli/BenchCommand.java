package org.repvgg4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import org.repvgg4j.bench.BenchChart;
import org.repvgg4j.bench.Ceilings;
import org.repvgg4j.bench.DatasetPass;
import org.repvgg4j.bench.ForwardBench;
import org.repvgg4j.bench.MatMulCeiling;
import org.repvgg4j.bench.Measurement;
import org.repvgg4j.bench.OneDnnBench;
import org.repvgg4j.bench.OnnxRuntimeBench;
import org.repvgg4j.bench.PeakFlops;
import org.repvgg4j.bench.TimedNetwork;
import org.repvgg4j.bench.TorchScriptBench;
import org.repvgg4j.bench.baselines.Baseline;
import org.repvgg4j.export.Precision;
import org.repvgg4j.infer.Engine;
import org.repvgg4j.infer.EngineResolver;
import org.repvgg4j.model.ConvolutionStrategy;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.platform.OneDnnIsa;
import org.repvgg4j.platform.TrainingConvolutions;
import org.repvgg4j.reparam.VerifiedConversion;
import org.repvgg4j.weights.LoadedModel;
import org.repvgg4j.weights.ModelDirectory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true, subcommands = ServeLoadCommand.class,
        description = {"Time forward passes of RepVGG (train and deploy form) and the baselines SqueezeNet 1.1 and",
            "ResNet-18: median, min and spread over timed runs, images/s, GFLOP/s, and that rate as a fraction of",
            "a large fp32 matrix multiply measured in the same run and of the theoretical peak.",
            "All engines by default: PyTorch (DJL) for every network; for RepVGG's deploy form also ONNX Runtime",
            "and oneDNN (Winograd convolutions on AVX-512 CPUs), one of which is the default engine of predict, eval",
            "and batch; --engine pytorch, onnxruntime, onednn or a comma list times those, both = pytorch,onnxruntime.",
            "--precision int8 or both --calibration LIST times the deploy form quantized to int8 in ONNX Runtime",
            "(engine onnxruntime-int8; calibrated on images of the list, which do not change the speed).",
            "--precision bf16 times the deploy form in bfloat16 on libtorch (engine pytorch-bf16: its TorchScript",
            "export, run by oneDNN's bf16 kernels, on AMX or AVX512-BF16 where the processor has them)."})
final class BenchCommand extends Subcommand implements Callable<Integer> {

    @Option(names = "--arch", defaultValue = "A0",
            description = {"network to time with random weights; repeat for several (default: ${DEFAULT-VALUE}):",
                "a RepVGG variant (A0 ... B3g4, D2se) or custom spec, or a baseline: squeezenet1_1, resnet18"})
    List<String> archs;

    @Option(names = "--model", description = "time this model directory instead of --arch (train form is converted)")
    Path model;

    @Option(names = "--form", defaultValue = "both",
            description = "RepVGG form: train, deploy or both (default: ${DEFAULT-VALUE}); baselines have one form")
    String form;

    @Option(names = "--batch-size", split = ",", defaultValue = "1,32", description = "batch sizes (default: ${DEFAULT-VALUE})")
    List<Integer> batches;

    @Option(names = "--image-size", defaultValue = "224", description = "input size (default: ${DEFAULT-VALUE})")
    int imageSize;

    @Option(names = "--classes", defaultValue = "1000", description = "classes when timing --arch (default: ${DEFAULT-VALUE})")
    int classes;

    @Option(names = "--warmup", defaultValue = "3", description = "untimed runs first (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--iterations", defaultValue = "10", description = "timed runs (default: ${DEFAULT-VALUE})")
    int iterations;

    @Option(names = "--threads", description = "intra-op threads (default: the engine's, one per core)")
    Integer threads;

    @Option(names = "--engine", defaultValue = "all",
            description = {"pytorch, onnxruntime (RepVGG deploy form, exported in memory), onednn (deploy form), a comma",
                "list of them, both (pytorch,onnxruntime) or all (default: ${DEFAULT-VALUE}). With --train-step: pytorch",
                "(libtorch's steps, the default) or onednn (the oneDNN graph repvgg train runs)"})
    String engine;

    @Option(names = "--precision", defaultValue = "fp32", split = ",", paramLabel = "fp32|bf16|int8|both",
            description = {"number formats to time, one after the other: fp32; int8 (ONNX Runtime, quantized, QDQ);",
                "bf16 (libtorch, the TorchScript export); both = fp32,int8 (default: ${DEFAULT-VALUE})"})
    List<String> precision;

    @Option(names = "--calibration", paramLabel = "LIST",
            description = "int8: list file of images to calibrate on (any images: ranges do not change the speed)")
    Path calibration;

    @Option(names = "--calibration-images", defaultValue = "32", paramLabel = "N",
            description = "int8: images drawn from the list (default: ${DEFAULT-VALUE})")
    int calibrationImages;

    @Option(names = "--json", description = "one JSON object per measurement instead of a table")
    boolean json;

    @Option(names = "--quiet", description = "no progress lines on standard error, only the results")
    boolean quiet;

    @Option(names = "--chart", paramLabel = "FILE.png", description = "also draw images/s per measurement as a PNG bar chart")
    Path chart;

    @Option(names = "--gemm-size", defaultValue = "4096",
            description = "side of the fp32 matrix multiply timed as the practical ceiling; 0 skips it (default: ${DEFAULT-VALUE})")
    int gemmSize;

    @Option(names = "--clock-ghz",
            description = "core clock for the theoretical peak (default: measured with a dependent multiply-xor"
                    + " chain on x86-64, else the highest 'cpu MHz' in /proc/cpuinfo)")
    Double clockGhz;

    @Option(names = "--images", defaultValue = "0",
            description = "also push this many images through each network at the largest --batch-size and report the total time")
    int images;

    @Option(names = "--profile",
            description = "also time each RepVGG block on its own (PyTorch engine): where the forward pass spends its time")
    boolean profile;

    @Option(names = "--train-step",
            description = "time training steps (forward, loss, backward, SGD update) of the train form instead of inference")
    boolean trainStep;

    @Option(names = "--lockstep",
            description = "--train-step: before each step (warm-up included) wait for a line on standard input, and after it"
                    + " print 'lockstep <step> <ms>'; lets another program take turns with this one"
                    + " (tools/compare_training_speed.py)")
    boolean lockstep;

    @Option(names = "--trace", paramLabel = "FILE",
            description = "--train-step: also record libtorch's operator profiler over the timed steps into FILE"
                    + " (Chrome trace JSON; tools/compare_training_ops.py sums it per operator)")
    Path trace;

    @Option(names = "--freeze-through", paramLabel = "STAGE",
            description = "--train-step: with the stem and stages up to STAGE frozen, as train --freeze-through")
    String freezeThrough;

    @Override
    public Integer call() throws Exception {
        List<Form> forms = "both".equalsIgnoreCase(form) ? List.of(Form.TRAIN, Form.DEPLOY) : List.of(Form.parse(form));
        List<Engine> engines = engines();
        List<Object> networks = networkChoices();
        boolean anyRepVgg = model != null || networks.stream().anyMatch(n -> n instanceof RepVggSpec);
        boolean deployTimed = anyRepVgg && forms.contains(Form.DEPLOY);
        boolean graphSteps = trainStep && engines.equals(List.of(Engine.ONEDNN));
        if (graphSteps && (trace != null || freezeThrough != null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--train-step --engine onednn times the oneDNN "
                    + "training graph: libtorch's --trace and --freeze-through do not apply");
        }
        if (!engines.contains(Engine.PYTORCH) && !deployTimed && !graphSteps) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--engine " + String.join(",", engines.stream().map(Engine::id).toList())
                            + " times the deploy form only (of RepVGG, not the baselines); add --form deploy or both");
        }
        Set<Precision> precisions = precisions();
        if (freezeThrough != null && !trainStep) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--freeze-through applies to --train-step only");
        }
        if (trace != null && !trainStep) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--trace records --train-step runs only");
        }
        if (lockstep && !trainStep) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--lockstep paces --train-step runs only");
        }
        if (precisions.contains(Precision.INT8) && (!engines.contains(EngineResolver.engineFor(Precision.INT8))
                || calibration == null || trainStep)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--precision int8 times the deploy form in ONNX Runtime: it needs --engine onnxruntime (or both), "
                            + "--calibration LIST and no --train-step");
        }
        if (precisions.contains(Precision.BF16) && (!engines.contains(EngineResolver.engineFor(Precision.BF16))
                || !deployTimed || trainStep)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--precision bf16 times RepVGG's deploy form on libtorch: it needs --engine pytorch (or both), "
                            + "--form deploy (or both) and no --train-step");
        }
        if (images < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--images must be 0 or more, got " + images);
        }
        if (trainStep) {
            for (Object n : networks) {
                if (n instanceof Baseline b) {
                    throw new CommandLine.ParameterException(spec.commandLine(),
                            "--train-step times RepVGG's train form only, not " + b.id());
                }
            }
        }
        BenchRun run = new BenchRun(batches, imageSize, warmup, iterations, json, quiet, out(), err());
        ConvolutionStrategy convolutions = TrainingConvolutions.unchecked();
        if (model == null && (trainStep || engines.contains(Engine.PYTORCH))
                && networks.stream().allMatch(n -> n instanceof RepVggSpec)) {
            convolutions = TrainStepTimings.chooseConvolutions(networks.stream().map(n -> (RepVggSpec) n).toList(), run, trainStep,
                    threads, err());
        }
        if (threads != null) {
            ai.djl.engine.Engine.getInstance();
            JniUtils.setNumThreads(threads);
        }
        List<Measurement> results = new ArrayList<>();
        List<DatasetPass> passes = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            Ceilings ceilings = ceilings(manager);
            java.util.function.Consumer<Measurement> record = m -> {
                results.add(m);
                if (json) {
                    out().println(toJson(m, ceilings));
                }
            };
            if (trainStep) {
                // --engine onednn: the graph repvgg train runs by default; otherwise libtorch's steps.
                Integer graphThreads = engines.equals(List.of(Engine.ONEDNN))
                        ? (threads != null ? threads : Runtime.getRuntime().availableProcessors()) : null;
                new TrainStepTimings(run, classes, freezeThrough, lockstep ? System.in : null, trace, convolutions,
                        graphThreads).time(networks.stream().map(n -> (RepVggSpec) n).toList(), record);
            } else {
                List<TimedNetwork> nets = timedNetworks(networks, forms, manager);
                // ONNX Runtime gets PyTorch's thread count unless told otherwise, so the engines compare like for like.
                int ortThreads = threads != null ? threads : JniUtils.getNumThreads();
                DeployFormExports exports = new DeployFormExports(run, calibration, calibrationImages, ortThreads);
                new ForwardTimings(run, engines, precisions, ortThreads, exports).time(nets, manager, record);
                if (profile) {
                    new BlockProfiles(run).time(nets, manager);
                }
                if (images > 0) {
                    new DatasetPasses(run, images).time(nets, manager, pass -> {
                        passes.add(pass);
                        if (json) {
                            out().println(toJson(pass));
                        }
                    });
                }
            }
            if (!json) {
                printTable(results, ceilings, out());
                printPasses(passes, out());
            }
        }
        if (chart != null) {
            BenchChart.write(results, chart);
            if (!json) {
                out().println("chart: " + chart);
            }
        }
        return 0;
    }

    /** --precision as a set: fp32, int8, bf16; both = fp32 and int8. */
    private Set<Precision> precisions() {
        try {
            return EngineResolver.parsePrecisions(precision);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--precision: " + e.getMessage());
        }
    }

    private List<Engine> engines() {
        try {
            return EngineResolver.parseEngines(engine);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--engine: " + e.getMessage());
        }
    }

    private Ceilings ceilings(NDManager manager) {
        if (gemmSize == 0) {
            return null;
        }
        int used = threads != null ? threads : JniUtils.getNumThreads();
        PeakFlops peak = clockGhz == null ? PeakFlops.forThreads(used) : PeakFlops.atClock(used, clockGhz, "--clock-ghz");
        if (!json) {
            err().printf("timing a %dx%d fp32 matrix multiply (the practical ceiling) ...%n", gemmSize, gemmSize);
        }
        return new Ceilings(MatMulCeiling.run(gemmSize, 1, 3, manager), peak);
    }

    /** Each --arch as a RepVggSpec or a Baseline, in the order given. */
    private List<Object> networkChoices() {
        List<Object> choices = new ArrayList<>();
        for (String a : archs) {
            Optional<Baseline> baseline = Baseline.find(a);
            if (baseline.isPresent()) {
                choices.add(baseline.get());
                continue;
            }
            try {
                choices.add(RepVggSpec.parse(a));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--arch: " + e.getMessage() + " (or a baseline: squeezenet1_1, resnet18)");
            }
        }
        return choices;
    }

    /** The networks to time: --model's forms, or each --arch (RepVGG in each form) with random weights. */
    private List<TimedNetwork> timedNetworks(List<Object> networks, List<Form> forms, NDManager manager)
            throws Exception {
        List<TimedNetwork> nets = new ArrayList<>();
        if (model != null) {
            for (RepVgg net : modelNetworks(forms, manager)) {
                nets.add(TimedNetwork.of(net, "RepVGG-" + net.spec().name(), imageSize));
            }
            return nets;
        }
        for (Object n : networks) {
            if (n instanceof Baseline b) {
                nets.add(TimedNetwork.of(b, classes, imageSize, manager));
                continue;
            }
            RepVggSpec arch = (RepVggSpec) n;
            for (Form f : forms) {
                RepVgg net = new RepVgg(arch, f, classes);
                net.initialize(manager, imageSize);
                nets.add(TimedNetwork.of(net, "RepVGG-" + arch.name(), imageSize));
            }
        }
        return nets;
    }

    private List<RepVgg> modelNetworks(List<Form> forms, NDManager manager) throws Exception {
        LoadedModel loaded = ModelDirectory.load(model, manager);
        if (loaded.config().form() == Form.DEPLOY) {
            if (forms.contains(Form.TRAIN)) {
                throw new IllegalArgumentException(model + " is a deploy-form model; only --form deploy can be timed");
            }
            return List.of(loaded.network());
        }
        List<RepVgg> nets = new ArrayList<>();
        for (Form f : forms) {
            nets.add(f == Form.TRAIN ? loaded.network()
                    : VerifiedConversion.run(loaded, manager, 1, 0).deploy().network());
        }
        return nets;
    }

    static void printTable(List<Measurement> results, java.io.PrintWriter out) {
        printTable(results, null, out);
    }

    /** The measurements, each against the ceilings when they were measured, then the ratios that answer the usual questions. */
    static void printTable(List<Measurement> results, Ceilings ceilings, java.io.PrintWriter out) {
        if (ceilings != null) {
            Measurement g = ceilings.matMul();
            PeakFlops p = ceilings.peak();
            out.printf(Locale.ROOT, "ceilings: fp32 matmul %s on %s, %d threads: %.1f GFLOP/s (median %.1f ms);"
                    + " peak %d cores x %d FLOP/cycle x %.3f GHz (%s) = %.1f GFLOP/s%n",
                    g.model().substring("matmul ".length()), g.engine(), g.threads(), g.gflops(), g.medianMs(),
                    p.cores(), p.flopsPerCycle(), p.clockGhz(), p.clockSource(), p.gflops());
        }
        out.printf("%-14s %-8s %-16s %5s %7s %10s %10s %7s %10s %9s %8s %7s %7s%n", "model", "form", "engine", "batch",
                "threads", "median ms", "min ms", "spread", "cpu ms", "images/s", "GFLOP/s", "%matmul", "%peak");
        for (Measurement m : results) {
            out.printf(Locale.ROOT, "%-14s %-8s %-16s %5d %7d %10.2f %10.2f %6.1f%% %10.2f %9.1f %8.1f %7s %7s%n",
                    m.model(), m.form(), m.engine(), m.batch(), m.threads(), m.medianMs(), m.minMs(), 100 * m.spread(),
                    m.cpuMsPerRun(), m.imagesPerSecond(), m.gflops(),
                    ceilings == null ? "-" : percent(ceilings.fractionOfMatMul(m)),
                    ceilings == null ? "-" : percent(ceilings.fractionOfPeak(m)));
        }
        for (Measurement d : results) {
            for (Measurement t : results) {
                boolean sameRow = d.batch() == t.batch() && d.model().equals(t.model());
                if (sameRow && d.form().equals("deploy") && t.form().equals("train") && d.engine().equals(t.engine())) {
                    out.printf(Locale.ROOT, "batch %d: %s deploy form is %.2fx the speed of train form%n",
                            d.batch(), d.model(), t.medianMs() / d.medianMs());
                }
                if (sameRow && d.form().equals(t.form()) && d.engine().equals(OnnxRuntimeBench.ENGINE_INT8)
                        && (t.engine().equals(OnnxRuntimeBench.ENGINE) || t.engine().equals(OneDnnBench.ENGINE))) {
                    out.printf(Locale.ROOT, "batch %d: int8 on onnxruntime is %.2fx the speed of fp32 on %s%n",
                            d.batch(), t.medianMs() / d.medianMs(), t.engine());
                }
                if (sameRow && d.form().equals(t.form()) && d.engine().equals(TorchScriptBench.ENGINE_BF16)
                        && (t.engine().equals(ForwardBench.ENGINE) || t.engine().equals(OnnxRuntimeBench.ENGINE)
                                || t.engine().equals(OneDnnBench.ENGINE))) {
                    out.printf(Locale.ROOT, "batch %d: bf16 on pytorch is %.2fx the speed of fp32 on %s%n",
                            d.batch(), t.medianMs() / d.medianMs(), t.engine());
                }
                if (sameRow && d.form().equals("deploy") && t.form().equals("deploy")
                        && comparedEngines(d.engine(), t.engine())) {
                    out.printf(Locale.ROOT, "batch %d: deploy form on %s is %.2fx the speed of %s%n",
                            d.batch(), d.engine(), t.medianMs() / d.medianMs(), t.engine());
                }
                if (sameRow && d.form().equals("deploy") && t.form().equals("train")
                        && d.engine().equals(OneDnnBench.ENGINE) && t.engine().equals(ForwardBench.ENGINE)) {
                    out.printf(Locale.ROOT, "batch %d: %s deploy form on onednn is %.2fx the speed of train form on "
                            + "pytorch%n", d.batch(), d.model(), t.medianMs() / d.medianMs());
                }
                if (d.batch() == t.batch() && d.form().equals("deploy") && t.form().equals(TimedNetwork.BASELINE_FORM)
                        && d.engine().equals(t.engine())) {
                    out.printf(Locale.ROOT, "batch %d on %s: %s deploy is %.2fx the speed of %s%n",
                            d.batch(), d.engine(), d.model(), t.medianMs() / d.medianMs(), t.model());
                }
            }
        }
    }

    /** The engine pairs the table compares: onnxruntime and onednn against pytorch, onednn against onnxruntime. */
    private static boolean comparedEngines(String d, String t) {
        return (d.equals(OnnxRuntimeBench.ENGINE) && t.equals(ForwardBench.ENGINE))
                || (d.equals(OneDnnBench.ENGINE) && (t.equals(ForwardBench.ENGINE) || t.equals(OnnxRuntimeBench.ENGINE)));
    }

    private static String percent(double fraction) {
        return Double.isNaN(fraction) ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * fraction);
    }

    static void printPasses(List<DatasetPass> passes, java.io.PrintWriter out) {
        if (passes.isEmpty()) {
            return;
        }
        out.printf("%-14s %-8s %-11s %5s %7s %7s %10s %9s %12s%n", "model", "form", "engine", "batch", "threads",
                "images", "total s", "images/s", "ms per image");
        for (DatasetPass p : passes) {
            out.printf(Locale.ROOT, "%-14s %-8s %-11s %5d %7d %7d %10.1f %9.1f %12.2f%n", p.model(), p.form(),
                    p.engine(), p.batch(), p.threads(), p.images(), p.seconds(), p.imagesPerSecond(), p.msPerImage());
        }
    }

    static String toJson(Measurement m, Ceilings ceilings) {
        JsonObject o = new JsonObject();
        o.addProperty("model", m.model());
        o.addProperty("form", m.form());
        o.addProperty("engine", m.engine());
        o.addProperty("batch", m.batch());
        o.addProperty("threads", m.threads());
        o.addProperty("input_size", m.inputSize());
        o.addProperty("params", m.params());
        o.addProperty("macs_per_image", m.macsPerImage());
        o.addProperty("median_ms", m.medianMs());
        o.addProperty("min_ms", m.minMs());
        o.addProperty("max_ms", m.maxMs());
        o.addProperty("spread", m.spread());
        o.addProperty("images_per_s", m.imagesPerSecond());
        o.addProperty("gflops", m.gflops());
        o.addProperty("runs", m.millis().size());
        JsonArray each = new JsonArray();
        m.millis().forEach(ms -> each.add(Math.round(ms * 100) / 100.0));
        o.add("run_ms", each); // in order: shows a warm-up still going on
        if (ForwardBench.ENGINE.equals(m.engine())) {
            o.addProperty("onednn_isa", OneDnnIsa.describe()); // libtorch's convolution kernels (README, doctor)
        }
        if (!Double.isNaN(m.cpuMsPerRun())) {
            o.addProperty("cpu_ms_per_run", m.cpuMsPerRun());
        }
        if (ceilings != null) {
            o.addProperty("matmul_size", ceilings.matMul().inputSize());
            o.addProperty("matmul_gflops", ceilings.matMulGflops());
            o.addProperty("fraction_of_matmul", ceilings.fractionOfMatMul(m));
            o.addProperty("peak_gflops", ceilings.peak().gflops());
            o.addProperty("clock_ghz", ceilings.peak().clockGhz());
            o.addProperty("clock_source", ceilings.peak().clockSource());
            if (!Double.isNaN(ceilings.fractionOfPeak(m))) {
                o.addProperty("fraction_of_peak", ceilings.fractionOfPeak(m));
            }
        }
        return new Gson().toJson(o);
    }

    static String toJson(DatasetPass p) {
        JsonObject o = new JsonObject();
        o.addProperty("model", p.model());
        o.addProperty("form", p.form());
        o.addProperty("engine", p.engine());
        o.addProperty("batch", p.batch());
        o.addProperty("threads", p.threads());
        o.addProperty("input_size", p.inputSize());
        o.addProperty("images", p.images());
        o.addProperty("total_s", p.seconds());
        o.addProperty("images_per_s", p.imagesPerSecond());
        o.addProperty("ms_per_image", p.msPerImage());
        return new Gson().toJson(o);
    }
}
