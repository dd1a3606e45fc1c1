package org.repvgg4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.HashMap;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.repvgg4j.bench.BenchChart;
import org.repvgg4j.bench.Ceilings;
import org.repvgg4j.bench.DatasetPass;
import org.repvgg4j.bench.ForwardBench;
import org.repvgg4j.bench.LayerProfile;
import org.repvgg4j.bench.LayerTime;
import org.repvgg4j.bench.MatMulCeiling;
import org.repvgg4j.bench.Measurement;
import org.repvgg4j.bench.OneDnnBench;
import org.repvgg4j.bench.OnnxRuntimeBench;
import org.repvgg4j.bench.PeakFlops;
import org.repvgg4j.bench.TimedNetwork;
import org.repvgg4j.bench.TorchScriptBench;
import org.repvgg4j.bench.TrainStepBench;
import org.repvgg4j.bench.baselines.Baseline;
import org.repvgg4j.export.CalibrationImages;
import org.repvgg4j.export.Precision;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.ConvolutionStrategy;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.platform.ConvolutionVerdicts;
import org.repvgg4j.platform.TrainingConvolutions;
import org.repvgg4j.platform.OneDnnIsa;
import org.repvgg4j.reparam.VerifiedConversion;
import org.repvgg4j.weights.LoadedModel;
import org.repvgg4j.weights.ModelDirectory;
import org.repvgg4j.weights.Preprocessing;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true,
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

    @Option(names = "--batch", split = ",", defaultValue = "1,32", description = "batch sizes (default: ${DEFAULT-VALUE})")
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
                "list of them, both (pytorch,onnxruntime) or all (default: ${DEFAULT-VALUE})"})
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
            description = "also push this many images through each network at the largest --batch and report the total time")
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

    @Option(names = "--freeze-through", paramLabel = "STAGE",
            description = "--train-step: with the stem and stages up to STAGE frozen, as train --freeze-through")
    String freezeThrough;

    private boolean fp32 = true;
    private boolean int8;
    private boolean bf16;

    /** Sets {@link #fp32}, {@link #int8} and {@link #bf16} from --precision. */
    private void parsePrecisions() {
        fp32 = false;
        for (String p : precision) {
            if (p.strip().equalsIgnoreCase("both")) {
                fp32 = true;
                int8 = true;
                continue;
            }
            try {
                switch (Precision.parse(p)) {
                    case FP32 -> fp32 = true;
                    case INT8 -> int8 = true;
                    case BF16 -> bf16 = true;
                }
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--precision: '" + p + "' is not one of fp32, bf16, int8, both");
            }
        }
    }

    /** How training steps compute their convolutions: checked for this run's workloads in {@link #call}. */
    private ConvolutionStrategy convolutions = TrainingConvolutions.unchecked();

    @Override
    public Integer call() throws Exception {
        List<Form> forms = "both".equalsIgnoreCase(form) ? List.of(Form.TRAIN, Form.DEPLOY) : List.of(Form.parse(form));
        List<String> engines = engines();
        List<Object> networks = networkChoices();
        boolean anyRepVgg = model != null || networks.stream().anyMatch(n -> n instanceof RepVggSpec);
        if (!engines.contains(ForwardBench.ENGINE) && !(anyRepVgg && forms.contains(Form.DEPLOY))) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--engine " + String.join(",", engines) + " times the deploy form only (of RepVGG, not the baselines); "
                            + "add --form deploy or both");
        }
        parsePrecisions();
        if (freezeThrough != null && !trainStep) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--freeze-through applies to --train-step only");
        }
        if (lockstep && !trainStep) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--lockstep paces --train-step runs only");
        }
        if (int8 && (!engines.contains(OnnxRuntimeBench.ENGINE) || calibration == null || trainStep)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--precision int8 times the deploy form in ONNX Runtime: it needs --engine onnxruntime (or both), "
                            + "--calibration LIST and no --train-step");
        }
        if (bf16 && (!engines.contains(ForwardBench.ENGINE) || !(anyRepVgg && forms.contains(Form.DEPLOY)) || trainStep)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--precision bf16 times RepVGG's deploy form on libtorch: it needs --engine pytorch (or both), "
                            + "--form deploy (or both) and no --train-step");
        }
        if (images < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--images must be 0 or more, got " + images);
        }
        if (model == null && (trainStep || engines.contains(ForwardBench.ENGINE))
                && networks.stream().allMatch(n -> n instanceof RepVggSpec)) {
            // Before the engine loads: this run's convolutions may be right with oneDNN's faster default kernels.
            List<ConvolutionVerdicts.Workload> workloads = networks.stream().map(n -> new ConvolutionVerdicts.Workload(
                    (RepVggSpec) n, imageSize, new TreeSet<>(batches), trainStep, threads)).toList();
            convolutions = ConvolutionChoice.applyFor(workloads, err());
        }
        if (threads != null) {
            ai.djl.engine.Engine.getInstance();
            JniUtils.setNumThreads(threads);
        }
        List<Measurement> results = new ArrayList<>();
        List<DatasetPass> passes = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            Ceilings ceilings = ceilings(manager);
            if (trainStep) {
                timeTrainingSteps(networks, results, ceilings);
            } else {
                timeInference(networks, forms, engines, manager, results, passes, ceilings);
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

    private void timeTrainingSteps(List<Object> networks, List<Measurement> results, Ceilings ceilings)
            throws java.io.IOException {
        for (Object n : networks) {
            if (!(n instanceof RepVggSpec arch)) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--train-step times RepVGG's train form only, not " + ((Baseline) n).id());
            }
            for (int batch : batches) {
                if (!json) {
                    err().printf("timing RepVGG-%s training steps, batch %d ...%n", arch.name(), batch);
                }
                Measurement m = TrainStepBench.run(arch, classes, batch, imageSize, RepVgg.lastFrozenStage(freezeThrough),
                        warmup, iterations,
                        lockstep ? new LineLockstep(System.in, out()) : TrainStepBench.Pacer.NONE, convolutions);
                results.add(m);
                if (json) {
                    out().println(toJson(m, ceilings));
                }
            }
        }
    }

    private void progress(TimedNetwork net, String engine, int batch) {
        if (!json) {
            err().printf("timing %s %s on %s, batch %d ...%n", net.model(), net.form(), engine, batch);
        }
    }

    /** The network's ONNX export, fp32 or quantized to int8, made once and reused for every batch size. */
    private byte[] onnx(Map<TimedNetwork, byte[]> cache, TimedNetwork net, boolean quantized, int ortThreads)
            throws java.io.IOException {
        byte[] bytes = cache.get(net);
        if (bytes == null) {
            RepVgg r = (RepVgg) net.block();
            if (quantized) {
                if (!json) {
                    err().printf("quantizing %s to int8 (calibration: %d images of %s) ...%n", net.model(),
                            calibrationImages, calibration);
                }
                List<float[]> images = CalibrationImages.load(calibration, calibrationImages, 0,
                        Preprocessing.imagenet(imageSize), 0).calibration();
                bytes = OnnxRuntimeBench.int8(r, imageSize, images, ortThreads);
            } else {
                bytes = OnnxRuntimeBench.fp32(r, imageSize);
            }
            cache.put(net, bytes);
        }
        return bytes;
    }

    private void timeInference(List<Object> networks, List<Form> forms, List<String> engines, NDManager manager,
            List<Measurement> results, List<DatasetPass> passes, Ceilings ceilings) throws Exception {
        List<TimedNetwork> nets = new ArrayList<>();
        if (model != null) {
            for (RepVgg net : modelNetworks(forms, manager)) {
                nets.add(TimedNetwork.of(net, "RepVGG-" + net.spec().name(), imageSize));
            }
        } else {
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
        }
        // ONNX Runtime gets PyTorch's thread count unless told otherwise, so the engines compare like for like.
        int ortThreads = threads != null ? threads : JniUtils.getNumThreads();
        Map<TimedNetwork, byte[]> fp32Onnx = new HashMap<>();
        Map<TimedNetwork, byte[]> int8Onnx = new HashMap<>();
        Map<TimedNetwork, byte[]> bf16Archives = new HashMap<>();
        for (int batch : batches) {
            for (TimedNetwork net : nets) {
                for (String e : engines) {
                    boolean ort = e.equals(OnnxRuntimeBench.ENGINE);
                    boolean dnn = e.equals(OneDnnBench.ENGINE);
                    if ((ort || dnn) && !(net.block() instanceof RepVgg r && r.form() == Form.DEPLOY)) {
                        continue;
                    }
                    List<Measurement> ms = new ArrayList<>();
                    if (dnn) {
                        if (((RepVgg) net.block()).spec().se()) {
                            if (batch == batches.get(0)) {
                                err().printf("%s: not timed on onednn, which has no squeeze-excitation blocks%n",
                                        net.model());
                            }
                        } else if (fp32) {
                            progress(net, e, batch);
                            ms.add(OneDnnBench.run((RepVgg) net.block(), net.model(), batch, imageSize, warmup,
                                    iterations, ortThreads, manager));
                        }
                    } else if (!ort) {
                        progress(net, e, batch);
                        ms.add(ForwardBench.run(net, batch, imageSize, warmup, iterations, manager));
                    }
                    if (e.equals(ForwardBench.ENGINE) && bf16 && net.block() instanceof RepVgg r
                            && r.form() == Form.DEPLOY) {
                        progress(net, TorchScriptBench.ENGINE_BF16, batch);
                        byte[] archive = bf16Archives.computeIfAbsent(net, n -> TorchScriptBench.bf16(r, imageSize));
                        ms.add(TorchScriptBench.time(archive, TorchScriptBench.ENGINE_BF16, r, net.model(), batch,
                                imageSize, warmup, iterations, manager));
                    }
                    if (ort && fp32) {
                        progress(net, e, batch);
                        ms.add(OnnxRuntimeBench.time(onnx(fp32Onnx, net, false, ortThreads), OnnxRuntimeBench.ENGINE,
                                (RepVgg) net.block(), net.model(), batch, imageSize, warmup, iterations, ortThreads, manager));
                    }
                    if (ort && int8) {
                        progress(net, OnnxRuntimeBench.ENGINE_INT8, batch);
                        ms.add(OnnxRuntimeBench.time(onnx(int8Onnx, net, true, ortThreads), OnnxRuntimeBench.ENGINE_INT8,
                                (RepVgg) net.block(), net.model(), batch, imageSize, warmup, iterations, ortThreads, manager));
                    }
                    for (Measurement m : ms) {
                        results.add(m);
                        if (json) {
                            out().println(toJson(m, ceilings));
                        }
                    }
                }
            }
        }
        if (profile) {
            for (int batch : batches) {
                for (TimedNetwork net : nets) {
                    if (net.block() instanceof RepVgg r) {
                        printProfile(net, LayerProfile.run(r, batch, imageSize, warmup, iterations, manager), batch);
                    }
                }
            }
        }
        if (images > 0) {
            int batch = Collections.max(batches);
            for (TimedNetwork net : nets) {
                if (!json) {
                    err().printf("pushing %d images through %s %s in batches of %d ...%n", images, net.model(),
                            net.form(), batch);
                }
                DatasetPass pass = ForwardBench.pass(net, images, batch, imageSize, manager);
                passes.add(pass);
                if (json) {
                    out().println(toJson(pass));
                }
            }
        }
    }

    private void printProfile(TimedNetwork net, List<LayerTime> layers, int batch) {
        double total = layers.stream().mapToDouble(LayerTime::medianMs).sum();
        if (json) {
            for (LayerTime l : layers) {
                JsonObject o = new JsonObject();
                o.addProperty("model", net.model());
                o.addProperty("form", net.form());
                o.addProperty("engine", ForwardBench.ENGINE);
                o.addProperty("batch", batch);
                o.addProperty("threads", JniUtils.getNumThreads());
                o.addProperty("layer", l.layer());
                o.addProperty("channels", l.channels());
                o.addProperty("output_size", l.outputSize());
                o.addProperty("macs_per_image", l.macsPerImage());
                o.addProperty("median_ms", l.medianMs());
                o.addProperty("share", l.medianMs() / total);
                o.addProperty("gflops", l.gflops(batch));
                out().println(new Gson().toJson(o));
            }
            return;
        }
        out().printf(Locale.ROOT, "%nper block: %s %s form, batch %d, %d threads (sum %.2f ms)%n", net.model(),
                net.form(), batch, JniUtils.getNumThreads(), total);
        out().printf("%-12s %14s %10s %10s %7s %8s%n", "layer", "output", "MMACs/img", "median ms", "share", "GFLOP/s");
        for (LayerTime l : layers) {
            out().printf(Locale.ROOT, "%-12s %14s %10.1f %10.3f %6.1f%% %8.1f%n", l.layer(),
                    l.channels() + "x" + l.outputSize() + "x" + l.outputSize(), l.macsPerImage() / 1e6, l.medianMs(),
                    100 * l.medianMs() / total, l.gflops(batch));
        }
    }

    private List<String> engines() {
        List<String> known = List.of(ForwardBench.ENGINE, OnnxRuntimeBench.ENGINE, OneDnnBench.ENGINE);
        String e = engine.trim().toLowerCase(Locale.ROOT);
        if (e.equals("all")) {
            return known;
        }
        if (e.equals("both")) {
            return List.of(ForwardBench.ENGINE, OnnxRuntimeBench.ENGINE);
        }
        List<String> chosen = new ArrayList<>();
        for (String name : e.split(",")) {
            if (!known.contains(name.strip())) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--engine: '" + name.strip() + "' is not one of pytorch, onnxruntime, onednn, both, all");
            }
            if (!chosen.contains(name.strip())) {
                chosen.add(name.strip());
            }
        }
        return chosen;
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
