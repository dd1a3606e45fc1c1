package org.repvgg4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.repvgg4j.bench.ForwardBench;
import org.repvgg4j.bench.Measurement;
import org.repvgg4j.bench.TrainStepBench;
import org.repvgg4j.bench.OnnxRuntimeBench;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.reparam.VerifiedConversion;
import org.repvgg4j.weights.LoadedModel;
import org.repvgg4j.weights.ModelDirectory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Time forward passes of the train and deploy forms: median, min and spread over timed runs.",
            "PyTorch (DJL) by default; --engine onnxruntime or both also times the deploy form in ONNX Runtime."})
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
            for (int batch : batches) {
                for (RepVgg net : nets) {
                    for (String e : engines) {
                        boolean ort = e.equals(OnnxRuntimeBench.ENGINE);
                        if (ort && net.form() != Form.DEPLOY) {
                            continue;
                        }
                        if (!json) {
                            err().printf("timing %s %s form on %s, batch %d ...%n", label, net.form().id(), e, batch);
                        }
                        Measurement m = ort
                                ? OnnxRuntimeBench.run(net, label, batch, imageSize, warmup, iterations, ortThreads, manager)
                                : ForwardBench.run(net, label, batch, imageSize, warmup, iterations, manager);
                        results.add(m);
                        if (json) {
                            out().println(toJson(m));
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
        out.printf("%-14s %-7s %-11s %5s %7s %10s %10s %7s %9s %8s%n",
                "model", "form", "engine", "batch", "threads", "median ms", "min ms", "spread", "images/s", "GFLOP/s");
        for (Measurement m : results) {
            out.printf(Locale.ROOT, "%-14s %-7s %-11s %5d %7d %10.2f %10.2f %6.1f%% %9.1f %8.1f%n",
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
