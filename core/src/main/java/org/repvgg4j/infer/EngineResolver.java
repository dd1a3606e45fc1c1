package org.repvgg4j.infer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import org.repvgg4j.export.Precision;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.platform.CpuFeatures;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.ModelDirectory;

/**
 * Which engine runs a model, at which precision, from which file: every rule in one table
 * ({@link #RULES}, first match wins), asked by {@link Classifier#open}, the CLI's model options and
 * {@code repvgg bench} ({@link #timings}).
 *
 * <pre>{@code
 * Choice c = EngineResolver.resolve(EngineResolver.Source.of(Path.of("runs/a0-deploy")), null, null);
 * c.engine();   // ONEDNN on an AVX-512 CPU for a 224x224 network without SE blocks, else ONNXRUNTIME
 * }</pre>
 */
public final class EngineResolver {

    /**
     * The smallest input size at which oneDNN is the default. Its Winograd convolutions pay for their
     * input and output transforms only on large enough feature maps: RepVGG-A0 deploy against ONNX
     * Runtime was 0.58x at 48x48 and batch 1, at most 0.92x at 96-128 and batch 1, and the same or
     * better from 160x160 (docs/BENCHMARKS.md, "oneDNN Winograd").
     */
    public static final int ONEDNN_MIN_INPUT = 160;

    private EngineResolver() {}

    /** What a model path is. */
    public enum Kind {
        /** A model directory: model.json + model.safetensors (train or deploy form), maybe model.onnx. */
        DIRECTORY,
        /** An ONNX file written by {@code repvgg export} (fp32 or int8). */
        ONNX_FILE,
        /** A TorchScript file ({@code .pt}, {@code .ts}, {@code .torchscript}; fp32 or bf16). */
        TORCHSCRIPT_FILE,
        /** A file of no kind we run. */
        OTHER_FILE,
        /** Nothing at that path. */
        MISSING
    }

    /** What the network in a model directory needs from an engine; null where its model.json cannot be read. */
    public record Network(boolean squeezeExcite, int inputSize) {
        public static Network of(RepVggSpec spec, int inputSize) {
            return new Network(spec.se(), inputSize);
        }
    }

    /**
     * A model path and what it says about itself without loading the network. {@code network} is for a
     * directory (null if its model.json cannot be read: opening it reports why); {@code written} is the
     * precision a file was exported in (null if its metadata cannot be read); {@code freshOnnx} is whether a
     * directory's {@code model.onnx} is at least as new as its weights.
     */
    public record Source(Path path, Kind kind, Network network, Precision written, boolean freshOnnx) {

        /** Looks at {@code path}: its kind, and the model.json or export metadata that the rules read. */
        public static Source of(Path path) {
            if (Files.isDirectory(path)) {
                Network network;
                try {
                    ModelConfig config = ModelDirectory.readConfig(path);
                    network = Network.of(config.spec(), config.preprocessing().inputSize());
                } catch (IOException | RuntimeException e) {
                    network = null;
                }
                return new Source(path, Kind.DIRECTORY, network, Precision.FP32, freshOnnx(path));
            }
            if (!Files.exists(path)) {
                return new Source(path, Kind.MISSING, null, null, false);
            }
            Kind kind = kindOfFile(path);
            Precision written = null;
            if (kind == Kind.ONNX_FILE || kind == Kind.TORCHSCRIPT_FILE) {
                try {
                    written = ExportedModel.read(path).precision();
                } catch (IOException | RuntimeException e) {
                    written = null; // a TorchScript file from elsewhere, or a broken file: opening it tells
                }
            }
            return new Source(path, kind, null, written, false);
        }

        private static boolean freshOnnx(Path dir) {
            Path onnx = dir.resolve(Classifier.ONNX_FILE);
            Path weights = dir.resolve(ModelDirectory.WEIGHTS_FILE);
            try {
                return Files.isRegularFile(onnx) && Files.isRegularFile(weights)
                        && Files.getLastModifiedTime(onnx).compareTo(Files.getLastModifiedTime(weights)) >= 0;
            } catch (IOException e) {
                return false;
            }
        }
    }

    /** The kind of a file by its name (any case). */
    static Kind kindOfFile(Path file) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".onnx")) {
            return Kind.ONNX_FILE;
        }
        if (name.endsWith(".pt") || name.endsWith(".ts") || name.endsWith(".torchscript")) {
            return Kind.TORCHSCRIPT_FILE;
        }
        return Kind.OTHER_FILE;
    }

    /** What an engine runs. */
    public enum Format {
        /** The directory's safetensors as a DJL block (train or deploy form). */
        DJL_WEIGHTS,
        /** The directory's {@code model.onnx} ({@code repvgg export}), newer than its weights. */
        ONNX_IN_DIRECTORY,
        /** The deploy form exported to ONNX in memory, checked against DJL's output before use. */
        ONNX_IN_MEMORY,
        /** The deploy form quantized to int8 ONNX in memory (timed by {@code repvgg bench} only). */
        ONNX_INT8_IN_MEMORY,
        /** The deploy form's weights in oneDNN primitives, checked against DJL's output before use. */
        ONEDNN_DEPLOY_FORM,
        /** The deploy form exported to bf16 TorchScript in memory, checked against fp32 within 5%. */
        TORCHSCRIPT_BF16_IN_MEMORY,
        /** An ONNX file as written, in its own precision. */
        ONNX_FILE,
        /** A TorchScript file as written, in its own precision. */
        TORCHSCRIPT_FILE
    }

    /**
     * The decision: {@code engine} runs {@code format} read from {@code file} at {@code precision}
     * (null for a file whose metadata does not say). {@code file} is null for a network timed in memory.
     */
    public record Choice(Engine engine, Precision precision, Format format, Path file) {

        /** How {@code repvgg bench} labels its measurements: the engine, with the precision unless fp32. */
        public String label() {
            return precision == Precision.FP32 ? engine.id() : engine.id() + "-" + precision.id();
        }
    }

    /** A model to open, the engine and precision asked for (null: none asked), and the CPU's AVX-512. */
    record Request(Source source, Engine engine, Precision precision, boolean avx512) {
        Kind kind() {
            return source.kind();
        }

        /**
         * The engine asked for, or else the default: the one engine that runs a file, the measured default
         * for a directory.
         */
        Engine engineOrDefault() {
            if (engine != null) {
                return engine;
            }
            return switch (kind()) {
                case ONNX_FILE -> Engine.ONNXRUNTIME;
                case TORCHSCRIPT_FILE -> Engine.PYTORCH;
                case DIRECTORY -> source.network() == null ? preferred(avx512)
                        : defaultFor(source.network(), avx512);
                default -> preferred(avx512);
            };
        }

        Precision precisionOrFp32() {
            return precision == null ? Precision.FP32 : precision;
        }

        /** Whether the engine asked for, or else the default, is {@code e}. */
        boolean engineIs(Engine e) {
            return engineOrDefault() == e;
        }
    }

    /** One row of the table: when it applies, and what it decides (a choice, or a refusal it throws). */
    private record Rule(String when, Predicate<Request> applies, Function<Request, Choice> decides) {}

    private static Rule run(String when, Predicate<Request> applies, Function<Request, Choice> decides) {
        return new Rule(when, applies, decides);
    }

    private static Rule refuse(String when, Predicate<Request> applies, Function<Request, String> message) {
        return new Rule(when, applies, r -> {
            throw new IllegalArgumentException(message.apply(r));
        });
    }

    /** The rules, in order: the first that applies decides. */
    private static final List<Rule> RULES = List.of(
            refuse("precision int8 asked", r -> r.precision() == Precision.INT8,
                    r -> "--precision int8 runs from an ONNX file: write one with 'repvgg export --precision int8 "
                            + "--calibration LIST' and pass it as --model"),
            refuse("precision bf16 with an engine other than pytorch",
                    r -> r.precision() == Precision.BF16 && r.engine() != null && r.engine() != Engine.PYTORCH,
                    r -> "--precision bf16 runs on libtorch: leave out --engine " + r.engine().id()
                            + " (or give --engine pytorch)"),
            new Rule("nothing at the path", r -> r.kind() == Kind.MISSING, r -> {
                throw new UncheckedIOException(new NoSuchFileException(r.source().path().toString(), null,
                        "no model directory or TorchScript file"));
            }),
            // A model directory: any engine, fp32 or bf16.
            run("directory, bf16: libtorch on a bf16 TorchScript export made in memory",
                    r -> r.kind() == Kind.DIRECTORY && r.precision() == Precision.BF16,
                    r -> new Choice(Engine.PYTORCH, Precision.BF16, Format.TORCHSCRIPT_BF16_IN_MEMORY,
                            r.source().path())),
            run("directory on pytorch: DJL on its safetensors",
                    r -> r.kind() == Kind.DIRECTORY && r.engineIs(Engine.PYTORCH),
                    r -> new Choice(Engine.PYTORCH, Precision.FP32, Format.DJL_WEIGHTS, r.source().path())),
            run("directory on onnxruntime with a model.onnx newer than its weights: that file",
                    r -> r.kind() == Kind.DIRECTORY && r.engineIs(Engine.ONNXRUNTIME) && r.source().freshOnnx(),
                    r -> new Choice(Engine.ONNXRUNTIME, Precision.FP32, Format.ONNX_IN_DIRECTORY,
                            r.source().path().resolve(Classifier.ONNX_FILE))),
            run("directory on onnxruntime otherwise: its deploy form exported in memory",
                    r -> r.kind() == Kind.DIRECTORY && r.engineIs(Engine.ONNXRUNTIME),
                    r -> new Choice(Engine.ONNXRUNTIME, Precision.FP32, Format.ONNX_IN_MEMORY, r.source().path())),
            refuse("directory on onednn with squeeze-excitation blocks",
                    r -> r.kind() == Kind.DIRECTORY && r.engineIs(Engine.ONEDNN) && r.source().network() != null
                            && r.source().network().squeezeExcite(),
                    r -> r.source().path() + ": blocks with squeeze-excitation do not run on the onednn engine; "
                            + "use --engine onnxruntime"),
            run("directory on onednn: its deploy form's weights",
                    r -> r.kind() == Kind.DIRECTORY && r.engineIs(Engine.ONEDNN),
                    r -> new Choice(Engine.ONEDNN, Precision.FP32, Format.ONEDNN_DEPLOY_FORM, r.source().path())),
            // A file runs as it was written.
            refuse("a file with a precision other than fp32 asked",
                    r -> r.precisionOrFp32() != Precision.FP32,
                    r -> r.source().path() + ": a model file runs in the precision it was written in; --precision "
                            + r.precision().id() + " is for a model directory (or write the file with 'repvgg "
                            + "export --precision " + r.precision().id() + "')"),
            refuse("an ONNX file on another engine than onnxruntime",
                    r -> r.kind() == Kind.ONNX_FILE && !r.engineIs(Engine.ONNXRUNTIME),
                    r -> r.source().path() + ": an ONNX file runs on --engine onnxruntime only (onednn takes a "
                            + "model directory)"),
            run("an ONNX file: ONNX Runtime, in the file's precision",
                    r -> r.kind() == Kind.ONNX_FILE,
                    r -> new Choice(Engine.ONNXRUNTIME, r.source().written(), Format.ONNX_FILE, r.source().path())),
            refuse("a TorchScript file on another engine than pytorch",
                    r -> r.kind() == Kind.TORCHSCRIPT_FILE && !r.engineIs(Engine.PYTORCH),
                    r -> r.source().path() + ": a TorchScript file runs on --engine pytorch only"),
            run("a TorchScript file: libtorch, in the file's precision",
                    r -> r.kind() == Kind.TORCHSCRIPT_FILE,
                    r -> new Choice(Engine.PYTORCH, r.source().written(), Format.TORCHSCRIPT_FILE, r.source().path())),
            refuse("any other file", r -> true,
                    r -> r.source().path() + ": --model takes a model directory (model.json + model.safetensors), "
                            + "an ONNX file of ours (.onnx) or a TorchScript file (.pt); import checkpoints with "
                            + "'repvgg import'"));

    /**
     * What runs {@code source} on this CPU. {@code engine} and {@code precision} are what was asked for,
     * null for none (precision none: fp32).
     *
     * @throws IllegalArgumentException where the combination cannot run, saying what to do instead
     * @throws NoSuchFileException where nothing is at the path
     */
    public static Choice resolve(Source source, Engine engine, Precision precision) throws NoSuchFileException {
        return resolve(source, engine, precision, CpuFeatures.hasAvx512());
    }

    /** {@link #resolve(Source, Engine, Precision)} on a CPU with or without AVX-512. */
    static Choice resolve(Source source, Engine engine, Precision precision, boolean avx512)
            throws NoSuchFileException {
        Request request = new Request(source, engine, precision, avx512);
        for (Rule rule : RULES) {
            if (rule.applies().test(request)) {
                try {
                    return rule.decides().apply(request);
                } catch (UncheckedIOException e) {
                    throw (NoSuchFileException) e.getCause();
                }
            }
        }
        throw new IllegalStateException("no rule for " + request); // the last rule applies to everything
    }

    /**
     * The engine preferred on a CPU: oneDNN where it has AVX-512, the instruction set its Winograd
     * convolutions need; ONNX Runtime elsewhere, which ran RepVGG-A0 faster than DJL's PyTorch engine at
     * batch 1 and 32 (docs/BENCHMARKS.md, "Engine choice" and "oneDNN Winograd").
     */
    static Engine preferred(boolean avx512) {
        return avx512 ? Engine.ONEDNN : Engine.ONNXRUNTIME;
    }

    /**
     * The engine for a network when none is asked: {@link #preferred} where oneDNN runs it well (input of
     * at least {@link #ONEDNN_MIN_INPUT}, no squeeze-excitation blocks, which oneDNN does not run), else ONNX
     * Runtime.
     */
    static Engine defaultFor(Network network, boolean avx512) {
        Engine preferred = preferred(avx512);
        if (preferred == Engine.ONEDNN && (network.inputSize() < ONEDNN_MIN_INPUT || network.squeezeExcite())) {
            return Engine.ONNXRUNTIME;
        }
        return preferred;
    }

    /** The engine a precision other than fp32 runs on: int8 on ONNX Runtime, bf16 on libtorch. */
    public static Engine engineFor(Precision precision) {
        return switch (precision) {
            case INT8 -> Engine.ONNXRUNTIME;
            case BF16 -> Engine.PYTORCH;
            case FP32 -> throw new IllegalArgumentException("fp32 runs on every engine");
        };
    }

    /**
     * What {@code repvgg bench} times of one network on {@code engine} for the {@code precisions} asked:
     * DJL's PyTorch engine runs every network in fp32 (the reference the other rows are compared with)
     * and RepVGG's deploy form in bf16; ONNX Runtime the deploy form in fp32 and int8; oneDNN the deploy
     * form in fp32. Empty where the engine has nothing to time of this network.
     *
     * @throws IllegalArgumentException where the deploy form cannot run on {@code engine} (oneDNN and
     *     squeeze-excitation blocks) and fp32 was asked, saying why
     */
    public static List<Choice> timings(Engine engine, Set<Precision> precisions, boolean repVggDeploy,
            boolean squeezeExcite) {
        List<Choice> choices = new ArrayList<>();
        switch (engine) {
            case PYTORCH -> {
                choices.add(new Choice(Engine.PYTORCH, Precision.FP32, Format.DJL_WEIGHTS, null));
                if (repVggDeploy && precisions.contains(Precision.BF16)) {
                    choices.add(new Choice(Engine.PYTORCH, Precision.BF16, Format.TORCHSCRIPT_BF16_IN_MEMORY, null));
                }
            }
            case ONNXRUNTIME -> {
                if (repVggDeploy && precisions.contains(Precision.FP32)) {
                    choices.add(new Choice(Engine.ONNXRUNTIME, Precision.FP32, Format.ONNX_IN_MEMORY, null));
                }
                if (repVggDeploy && precisions.contains(Precision.INT8)) {
                    choices.add(new Choice(Engine.ONNXRUNTIME, Precision.INT8, Format.ONNX_INT8_IN_MEMORY, null));
                }
            }
            case ONEDNN -> {
                if (repVggDeploy && squeezeExcite) {
                    throw new IllegalArgumentException("not timed on onednn, which has no squeeze-excitation blocks");
                }
                if (repVggDeploy && precisions.contains(Precision.FP32)) {
                    choices.add(new Choice(Engine.ONEDNN, Precision.FP32, Format.ONEDNN_DEPLOY_FORM, null));
                }
            }
        }
        return choices;
    }

    /**
     * Parses a list of engines: {@code all}, {@code both} (pytorch,onnxruntime) or engine names separated
     * by commas, each once, in the order given.
     */
    public static List<Engine> parseEngines(String text) {
        String e = text.trim().toLowerCase(Locale.ROOT);
        if (e.equals("all")) {
            return List.of(Engine.PYTORCH, Engine.ONNXRUNTIME, Engine.ONEDNN);
        }
        if (e.equals("both")) {
            return List.of(Engine.PYTORCH, Engine.ONNXRUNTIME);
        }
        List<Engine> chosen = new ArrayList<>();
        for (String name : e.split(",")) {
            Engine engine;
            try {
                engine = Engine.parse(name);
            } catch (IllegalArgumentException unknown) {
                throw new IllegalArgumentException("'" + name.strip() + "' is not one of pytorch, onnxruntime, onednn, "
                        + "both, all");
            }
            if (!chosen.contains(engine)) {
                chosen.add(engine);
            }
        }
        return chosen;
    }

    /** Parses a list of precisions: fp32, bf16, int8, or both (fp32 and int8). */
    public static Set<Precision> parsePrecisions(List<String> texts) {
        Set<Precision> chosen = EnumSet.noneOf(Precision.class);
        for (String p : texts) {
            if (p.strip().equalsIgnoreCase("both")) {
                chosen.add(Precision.FP32);
                chosen.add(Precision.INT8);
                continue;
            }
            try {
                chosen.add(Precision.parse(p));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + p + "' is not one of fp32, bf16, int8, both");
            }
        }
        return chosen;
    }
}
