package org.repvgg4j.infer;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.repvgg4j.data.ClassIndex;
import org.repvgg4j.export.ExportCheck;
import org.repvgg4j.export.OnnxExporter;
import org.repvgg4j.export.OnnxRuntimeCheck;
import org.repvgg4j.export.Precision;
import org.repvgg4j.export.TorchScriptExporter;
import org.repvgg4j.infer.onednn.OneDnnScorer;
import org.repvgg4j.model.Form;
import org.repvgg4j.reparam.Equivalence;
import org.repvgg4j.reparam.VerifiedConversion;
import org.repvgg4j.weights.LoadedModel;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.ModelDirectory;
import org.repvgg4j.weights.NetworkWeights;
import org.repvgg4j.weights.Preprocessing;

/**
 * A model ready to classify images: its class names, the preprocessing its input needs, and the
 * network on the chosen engine. Opened from a model directory (any engine), an ONNX file of ours
 * (ONNX Runtime) or a TorchScript file (PyTorch engine).
 */
public record Classifier(String source, List<String> classes, Preprocessing preprocessing, Scorer scorer)
        implements AutoCloseable {

    /**
     * A classifier scores images that worker threads decode beside it (predict, eval, batch),
     * so ONNX Runtime's threads sleep between operators rather than spin.
     */
    private static final boolean SHARES_CORES = true;

    /** The ONNX file a model directory may carry ({@code repvgg export}). */
    public static final String ONNX_FILE = "model.onnx";

    /**
     * How to open a model. {@code engine} and {@code precision} null leave the choice to
     * {@link EngineResolver} (precision: fp32); {@code classFile} and {@code imageSize} are needed only for
     * a TorchScript file, which carries neither; {@code threads} 0 leaves each engine its default.
     * {@code precision} bf16 runs a model directory's deploy form in bfloat16 on libtorch (engine pytorch).
     */
    public record Options(Engine engine, Path classFile, Integer imageSize, int threads, Precision precision) {
        public Options {
            if (threads < 0) {
                throw new IllegalArgumentException("threads must be >= 0, got " + threads);
            }
        }

        public Options(Engine engine, Path classFile, Integer imageSize, int threads) {
            this(engine, classFile, imageSize, threads, Precision.FP32);
        }

        public static Options of(Engine engine) {
            return new Options(engine, null, null, 0);
        }
    }

    public int numClasses() {
        return classes.size();
    }

    /**
     * Opens {@code model}: a model directory, an ONNX file of ours or a TorchScript file, on the engine and
     * at the precision {@link EngineResolver} chooses for it and {@code options}.
     */
    public static Classifier open(Path model, Options options) throws IOException {
        EngineResolver.Choice choice = EngineResolver.resolve(EngineResolver.Source.of(model), options.engine(),
                options.precision());
        if (options.threads() > 0) {
            ai.djl.engine.Engine.getEngine("PyTorch"); // loads the native library the call below needs
            JniUtils.setNumThreads(options.threads());
        }
        return switch (choice.format()) {
            case DJL_WEIGHTS -> openDirectory(model);
            case ONNX_IN_DIRECTORY -> openOnnxInDirectory(model, choice.file(), options);
            case ONNX_IN_MEMORY -> openOnnxInMemory(model, options);
            case ONEDNN_DEPLOY_FORM -> openOneDnn(model, options);
            case TORCHSCRIPT_BF16_IN_MEMORY -> openBf16(model);
            case ONNX_FILE -> openOnnxFile(model, options);
            case TORCHSCRIPT_FILE -> openTorchScript(model, options);
            case ONNX_INT8_IN_MEMORY -> throw new IllegalStateException(model + ": int8 is quantized in memory only "
                    + "for timing (repvgg bench)");
        };
    }

    private static Classifier openDirectory(Path dir) throws IOException {
        NDManager manager = NDManager.newBaseManager();
        try {
            LoadedModel loaded = ModelDirectory.load(dir, manager);
            return new Classifier(dir.toString(), loaded.config().classes(), loaded.config().preprocessing(),
                    new RepVggScorer(loaded.network(), manager));
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** ONNX Runtime on the directory's {@code model.onnx}, newer than its weights ({@code repvgg export}). */
    private static Classifier openOnnxInDirectory(Path dir, Path onnx, Options options) throws IOException {
        ModelConfig config = ModelDirectory.readConfig(dir);
        // The ONNX file was made from these weights: damaged weights mean a directory not to trust.
        org.repvgg4j.weights.WeightChecksums.verify(dir);
        return new Classifier(dir.toString(), config.classes(), config.preprocessing(),
                OnnxRuntimeRunner.open(onnx, options.threads(), SHARES_CORES));
    }

    /** ONNX Runtime on the directory's deploy network exported in memory, checked against DJL's output before use. */
    private static Classifier openOnnxInMemory(Path dir, Options options) throws IOException {
        ModelConfig config = ModelDirectory.readConfig(dir);
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedModel deploy = deployForm(dir, manager);
            byte[] bytes = OnnxExporter.toBytes(deploy.config(), NetworkWeights.of(deploy.network()));
            OnnxRuntimeRunner runner = OnnxRuntimeRunner.open(bytes, options.threads(), SHARES_CORES);
            Equivalence check = OnnxRuntimeCheck.compare(deploy.network(), runner, 2, 0,
                    Equivalence.DEFAULT_TOLERANCE, manager);
            if (!check.holds()) {
                runner.close();
                throw new IllegalStateException(dir + ": ONNX Runtime does not reproduce the network ("
                        + OnnxRuntimeCheck.describe(check, 2) + "); use --engine pytorch");
            }
            return new Classifier(dir.toString(), config.classes(), config.preprocessing(), runner);
        }
    }

    /**
     * oneDNN on the directory's deploy form (converted first if the directory holds the train form),
     * checked against DJL's output before use on a random image (direct convolutions) and a random
     * batch of two (Winograd, as full batches run).
     */
    private static Classifier openOneDnn(Path dir, Options options) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedModel deploy = deployForm(dir, manager);
            ModelConfig config = deploy.config();
            OneDnnScorer scorer = OneDnnScorer.open(config, NetworkWeights.of(deploy.network()), options.threads());
            for (int batch = 1; batch <= 2; batch++) {
                Equivalence check = ExportCheck.compare(deploy.network(), scorer, config.preprocessing().inputSize(),
                        batch, 0, Equivalence.DEFAULT_TOLERANCE, manager);
                if (!check.holds()) {
                    scorer.close();
                    throw new IllegalStateException(dir + ": oneDNN does not reproduce the network ("
                            + ExportCheck.describe(check, batch, "onednn") + "); use --engine onnxruntime");
                }
            }
            return new Classifier(dir.toString(), config.classes(), config.preprocessing(), scorer);
        }
    }

    /**
     * The directory's deploy form in bfloat16 on libtorch: its TorchScript export made in memory
     * ({@link TorchScriptExporter}, {@link Precision#BF16}) and checked against DJL's float32 output
     * within {@link TorchScriptExporter#BF16_TOLERANCE} before use.
     */
    private static Classifier openBf16(Path dir) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedModel deploy = deployForm(dir, manager);
            ModelConfig config = deploy.config();
            byte[] archive = TorchScriptExporter.toBytes(config, NetworkWeights.of(deploy.network()), Precision.BF16);
            String source = dir + " (bf16)";
            TorchScriptScorer scorer = TorchScriptScorer.open(archive, source);
            Equivalence check = ExportCheck.compare(deploy.network(), scorer, config.preprocessing().inputSize(), 2, 0,
                    TorchScriptExporter.BF16_TOLERANCE, manager);
            if (!check.holds()) {
                scorer.close();
                throw new IllegalStateException(dir + ": bf16 on libtorch does not follow the network ("
                        + ExportCheck.describe(check, 2, "bf16") + "); leave out --precision bf16");
            }
            return new Classifier(source, config.classes(), config.preprocessing(), scorer);
        }
    }

    /** The directory's network in deploy form, converted (and the conversion checked) if it is in train form. */
    private static LoadedModel deployForm(Path dir, NDManager manager) throws IOException {
        LoadedModel model = ModelDirectory.load(dir, manager);
        if (model.config().form() != Form.TRAIN) {
            return model;
        }
        VerifiedConversion.Result conversion = VerifiedConversion.run(model, manager, 2, 0);
        if (!conversion.equivalence().holds()) {
            throw new IllegalStateException(dir + ": the deploy form does not reproduce the train form ("
                    + conversion.equivalence() + ")");
        }
        return conversion.deploy();
    }

    /**
     * An ONNX file written by {@code repvgg export} (fp32 or int8): ONNX Runtime only, and the class
     * names and preprocessing come from the file's own metadata.
     */
    private static Classifier openOnnxFile(Path file, Options options) throws IOException {
        OnnxRuntimeRunner runner = OnnxRuntimeRunner.open(file, options.threads(), SHARES_CORES);
        try {
            OnnxModelInfo info = OnnxModelInfo.of(file, runner.metadata());
            return new Classifier(file.toString(), info.classes(), info.preprocessing(), runner);
        } catch (RuntimeException e) {
            runner.close();
            throw e;
        }
    }

    private static Classifier openTorchScript(Path file, Options options) throws IOException {
        Optional<Map<String, String>> meta = TorchScriptScorer.metadata(file);
        if (meta.isPresent()) {
            // Written by 'repvgg export --format torchscript': it knows its classes and preprocessing.
            OnnxModelInfo info = OnnxModelInfo.of(file, meta.get());
            List<String> classes = options.classFile() != null ? ClassIndex.read(options.classFile()).names() : info.classes();
            return new Classifier(file.toString(), classes, info.preprocessing(), TorchScriptScorer.open(file));
        }
        if (options.classFile() == null) {
            throw new IllegalArgumentException(file + ": a TorchScript file has no class names; give --classes "
                    + "annotations.txt");
        }
        List<String> classes = ClassIndex.read(options.classFile()).names();
        int size = options.imageSize() != null ? options.imageSize() : 224;
        TorchScriptScorer scorer = TorchScriptScorer.open(file);
        return new Classifier(file.toString(), classes, Preprocessing.imagenet(size), scorer);
    }

    /**
     * Logits for a batch, checked against the class count so that a TorchScript file and a class file
     * that disagree fail on the first batch, naming both.
     */
    public float[][] logits(float[] nchw, int batch) {
        float[][] rows = scorer.logits(nchw, batch, preprocessing.inputSize());
        if (rows.length > 0 && rows[0].length != classes.size()) {
            throw new IllegalStateException(source + ": the network gives " + rows[0].length + " scores per image, "
                    + "but there are " + classes.size() + " class names");
        }
        return rows;
    }

    @Override
    public void close() {
        scorer.close();
    }
}
