package org.repvgg4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.repvgg4j.bench.ForwardBench;
import org.repvgg4j.bench.Measurement;
import org.repvgg4j.bench.TrainStepBench;
import org.repvgg4j.bench.OnnxRuntimeBench;
import org.repvgg4j.export.CalibrationImages;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.reparam.VerifiedConversion;
import org.repvgg4j.weights.LoadedModel;
import org.repvgg4j.weights.ModelDirectory;
import org.repvgg4j.weights.Preprocessing;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Time forward passes of the train and deploy forms: median, min and spread over timed runs.",
            "PyTorch (DJL) by default; --engine onnxruntime or both also times the deploy form in ONNX Runtime.",
            "--precision int8 or both --calibration LIST times the deploy form quantized to int8 in ONNX Runtime",
            "(engine onnxruntime-int8; calibrated on images of the list, which do not change the speed)."})
final class BenchCommand extends Subcommand implements Callable<Integer> {

    @Option(names = "--arch", converter = ArchConverter.class, defaultValue = "A0",
            description = "variant to time with random weights (default: ${DEFAULT-VALUE})")
    RepVggSpec arch;

    @Option(names = "--model", description = "time this model directory instead of --arch (train form is converted)")
    Path model;

    @Option(names = "--form", defaultValue = "both", description = "train, deploy or both (default: ${DEFAULT-VALUE})")
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

    @Option(names = "--engine", defaultValue = "pytorch",
            description = "pytorch, onnxruntime (deploy form, exported in memory) or both (default: ${DEFAULT-VALUE})")
    String engine;

    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "fp32|int8|both",
            description = "ONNX Runtime: time fp32, int8 (quantized, QDQ) or both, one after the other (default: ${DEFAULT-VALUE})")
    String precision;

    @Option(names = "--calibration", paramLabel = "LIST",
            description = "int8: list file of images to calibrate on (any images: ranges do not change the speed)")
    Path calibration;

    @Option(names = "--calibration-images", defaultValue = "32", paramLabel = "N",
            description = "int8: images drawn from the list (default: ${DEFAULT-VALUE})")
    int calibrationImages;

    @Option(names = "--json", description = "one JSON object per measurement instead of a table")
    boolean json;

    @Option(names = "--train-step",
            description = "time training steps (forward, loss, backward, SGD update) of the train form instead of inference")
    boolean trainStep;

    @Override
    public Integer call() throws Exception {
        List<Form> forms = "both".equalsIgnoreCase(form) ? List.of(Form.TRAIN, Form.DEPLOY) : List.of(Form.parse(form));
        List<String> engines = engines();
        if (!engines.contains(ForwardBench.ENGINE) && !forms.contains(Form.DEPLOY)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--engine onnxruntime times the deploy form only; add --form deploy or both");
        }
        String p = precision.trim().toLowerCase(Locale.ROOT);
        if (!List.of("fp32", "int8", "both").contains(p)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--precision: '" + precision + "' is not one of fp32, int8, both");
        }
        boolean fp32 = !p.equals("int8");
        boolean int8 = !p.equals("fp32");
        if (int8 && (!engines.contains(OnnxRuntimeBench.ENGINE) || calibration == null || trainStep)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--precision int8 times the deploy form in ONNX Runtime: it needs --engine onnxruntime (or both), "
                            + "--calibration LIST and no --train-step");
        }
        if (threads != null) {
            ai.djl.engine.Engine.getInstance();
            JniUtils.setNumThreads(threads);
        }
        List<Measurement> results = new ArrayList<>();
        if (trainStep) {
            for (int batch : batches) {
                if (!json) {
                    err().printf("timing RepVGG-%s training steps, batch %d ...%n", arch.name(), batch);
                }
                Measurement m = TrainStepBench.run(arch, classes, batch, imageSize, warmup, iterations);
                results.add(m);
                if (json) {
                    out().println(toJson(m));
                }
            }
            if (!json) {
                printTable(results, out());
            }
            return 0;
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            List<RepVgg> nets = networks(forms, manager);
            String label = "RepVGG-" + nets.get(0).spec().name();
            // ONNX Runtime gets PyTorch's thread count unless told otherwise, so the engines compare like for like.
            int ortThreads = threads != null ? threads : JniUtils.getNumThreads();
            Map<RepVgg, byte[]> fp32Onnx = new HashMap<>();
            Map<RepVgg, byte[]> int8Onnx = new HashMap<>();
            for (RepVgg net : nets) {
                if (net.form() == Form.DEPLOY && engines.contains(OnnxRuntimeBench.ENGINE)) {
                    fp32Onnx.put(net, OnnxRuntimeBench.fp32(net, imageSize));
                    if (int8) {
                        if (!json) {
                            err().printf("quantizing %s to int8 (calibration: %d images of %s) ...%n", label,
                                    calibrationImages, calibration);
                        }
                        List<float[]> images = CalibrationImages.load(calibration, calibrationImages, 0,
                                Preprocessing.imagenet(imageSize), 0).calibration();
                        int8Onnx.put(net, OnnxRuntimeBench.int8(net, imageSize, images, ortThreads));
                    }
                }
            }
            for (int batch : batches) {
                for (RepVgg net : nets) {
                    for (String e : engines) {
                        boolean ort = e.equals(OnnxRuntimeBench.ENGINE);
                        if (ort && net.form() != Form.DEPLOY) {
                            continue;
                        }
                        List<Measurement> ms = new ArrayList<>();
                        if (!ort) {
                            progress(label, net, e, batch);
                            ms.add(ForwardBench.run(net, label, batch, imageSize, warmup, iterations, manager));
                        }
                        if (ort && fp32) {
                            progress(label, net, e, batch);
                            ms.add(OnnxRuntimeBench.time(fp32Onnx.get(net), OnnxRuntimeBench.ENGINE, net, label, batch,
                                    imageSize, warmup, iterations, ortThreads, manager));
                        }
                        if (ort && int8) {
                            progress(label, net, OnnxRuntimeBench.ENGINE_INT8, batch);
                            ms.add(OnnxRuntimeBench.time(int8Onnx.get(net), OnnxRuntimeBench.ENGINE_INT8, net, label,
                                    batch, imageSize, warmup, iterations, ortThreads, manager));
                        }
                        for (Measurement m : ms) {
                            results.add(m);
                            if (json) {
                                out().println(toJson(m));
                            }
                        }
                    }
                }
            }
        }
        if (!json) {
            printTable(results, out());
        }
        return 0;
    }

    private void progress(String label, RepVgg net, String engine, int batch) {
        if (!json) {
            err().printf("timing %s %s form on %s, batch %d ...%n", label, net.form().id(), engine, batch);
        }
    }

    private List<String> engines() {
        String e = engine.trim().toLowerCase(Locale.ROOT);
        return switch (e) {
            case ForwardBench.ENGINE -> List.of(ForwardBench.ENGINE);
            case OnnxRuntimeBench.ENGINE -> List.of(OnnxRuntimeBench.ENGINE);
            case "both" -> List.of(ForwardBench.ENGINE, OnnxRuntimeBench.ENGINE);
            default -> throw new CommandLine.ParameterException(spec.commandLine(),
                    "--engine: '" + engine + "' is not one of pytorch, onnxruntime, both");
        };
    }

    private List<RepVgg> networks(List<Form> forms, NDManager manager) throws Exception {
        List<RepVgg> nets = new ArrayList<>();
        if (model == null) {
            for (Form f : forms) {
                RepVgg net = new RepVgg(arch, f, classes);
                net.initialize(manager, imageSize);
                nets.add(net);
            }
            return nets;
        }
        LoadedModel loaded = ModelDirectory.load(model, manager);
        if (loaded.config().form() == Form.DEPLOY) {
            if (forms.contains(Form.TRAIN)) {
                throw new IllegalArgumentException(model + " is a deploy-form model; only --form deploy can be timed");
            }
            return List.of(loaded.network());
        }
        for (Form f : forms) {
            nets.add(f == Form.TRAIN ? loaded.network()
                    : VerifiedConversion.run(loaded, manager, 1, 0).deploy().network());
        }
        return nets;
    }

    static void printTable(List<Measurement> results, java.io.PrintWriter out) {
        out.printf("%-14s %-7s %-16s %5s %7s %10s %10s %7s %9s %8s%n",
                "model", "form", "engine", "batch", "threads", "median ms", "min ms", "spread", "images/s", "GFLOP/s");
        for (Measurement m : results) {
            out.printf(Locale.ROOT, "%-14s %-7s %-16s %5d %7d %10.2f %10.2f %6.1f%% %9.1f %8.1f%n",
                    m.model(), m.form(), m.engine(), m.batch(), m.threads(), m.medianMs(), m.minMs(), 100 * m.spread(),
                    m.imagesPerSecond(), m.gflops());
        }
        for (Measurement d : results) {
            for (Measurement t : results) {
                if (d.form().equals("deploy") && t.form().equals("train") && d.batch() == t.batch()
                        && d.model().equals(t.model()) && d.engine().equals(t.engine())) {
                    out.printf(Locale.ROOT, "batch %d: deploy form is %.2fx the speed of train form%n",
                            d.batch(), t.medianMs() / d.medianMs());
                }
                if (d.batch() == t.batch() && d.model().equals(t.model()) && d.form().equals(t.form())
                        && d.engine().equals(OnnxRuntimeBench.ENGINE_INT8) && t.engine().equals(OnnxRuntimeBench.ENGINE)) {
                    out.printf(Locale.ROOT, "batch %d: int8 on onnxruntime is %.2fx the speed of fp32 on onnxruntime%n",
                            d.batch(), t.medianMs() / d.medianMs());
                }
                if (d.form().equals("deploy") && t.form().equals("deploy") && d.batch() == t.batch()
                        && d.model().equals(t.model()) && d.engine().equals(OnnxRuntimeBench.ENGINE)
                        && t.engine().equals(ForwardBench.ENGINE)) {
                    out.printf(Locale.ROOT, "batch %d: deploy form on onnxruntime is %.2fx the speed of pytorch%n",
                            d.batch(), t.medianMs() / d.medianMs());
                }
            }
        }
    }

    static String toJson(Measurement m) {
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
        return new Gson().toJson(o);
    }
}
