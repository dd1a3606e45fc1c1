package org.repvgg4j.api;

import ai.djl.modality.cv.Image;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.repvgg4j.data.ImageDecoder;
import org.repvgg4j.data.ImageTransform;
import org.repvgg4j.data.ListFile;
import org.repvgg4j.data.RgbImage;
import org.repvgg4j.data.Sample;
import org.repvgg4j.eval.ClassificationReport;
import org.repvgg4j.export.Precision;
import org.repvgg4j.infer.Classifier;
import org.repvgg4j.infer.Engine;
import org.repvgg4j.infer.EngineResolver;
import org.repvgg4j.infer.Scores;
import org.repvgg4j.weights.ModelDirectory;

/**
 * A RepVGG classifier loaded once and used from any number of threads: a model directory (train or
 * deploy form), an ONNX file from {@code repvgg export}, or a TorchScript file. Images get the model's
 * own preprocessing ({@code model.json}: resize, center crop, mean/std), as {@code repvgg predict} does.
 *
 * <pre>{@code
 * try (RepVggModel model = RepVggModel.load(Path.of("runs/flowers/deploy"))) {
 *     Prediction p = model.classify(Path.of("rose.jpg"));
 *     System.out.println(p.best().label() + " " + p.best().probability());
 * }
 * }</pre>
 *
 * <p>Thread safety: every {@code classify} and {@code evaluate} method may be called concurrently.
 * Each call decodes and preprocesses on the calling thread and hands its batch straight to the one
 * engine session the model holds (ONNX Runtime and libtorch run concurrent calls on one session;
 * the oneDNN engine runs them one at a time). Close the model once no call is running.
 */
public final class RepVggModel implements AutoCloseable {

    private final Classifier classifier;
    private final ImageTransform transform;
    private final LoadOptions options;
    private volatile boolean closed;

    private RepVggModel(Classifier classifier, LoadOptions options) {
        this.classifier = classifier;
        this.transform = ImageTransform.eval(classifier.preprocessing());
        this.options = options;
    }

    /** Loads {@code model} with {@link LoadOptions#defaults()}; see {@link #load(Path, LoadOptions)}. */
    public static RepVggModel load(Path model) throws IOException {
        return load(model, LoadOptions.defaults());
    }

    /**
     * Loads a model directory, an ONNX file of ours or a TorchScript file on the engine that {@code
     * options} names, or else on the fastest measured for this CPU.
     *
     * @throws java.nio.file.NoSuchFileException if {@code model} or a file it needs is missing
     * @throws IOException if a file cannot be read or is not a model
     * @throws IllegalArgumentException if an option is not understood (the message says which values are)
     *     or a plain TorchScript file comes without {@link LoadOptions#classFile()}
     * @throws IllegalStateException if the chosen engine does not reproduce the network, or its libraries are
     *     not on the class path; the message names an engine or artifact to use instead. When no engine is
     *     asked for and the fastest for this CPU is not on the class path, a model directory or TorchScript
     *     file runs on pytorch.
     */
    public static RepVggModel load(Path model, LoadOptions options) throws IOException {
        Engine engine = options.engine() == null ? null : Engine.parse(options.engine());
        Precision precision = Precision.parse(options.precision());
        EngineResolver.Source source = EngineResolver.Source.of(model);
        Engine runs = engine != null ? engine : EngineResolver.resolve(source, null, precision).engine();
        if (!EngineLibraries.present(runs)) {
            boolean pytorchRunsIt = source.kind() == EngineResolver.Kind.DIRECTORY
                    || source.kind() == EngineResolver.Kind.TORCHSCRIPT_FILE;
            if (engine != null || !pytorchRunsIt) {
                throw new IllegalStateException(model + ": engine " + runs.id() + " is not on the class path; add "
                        + EngineLibraries.artifact(runs) + " (repvgg4j-runtime-cpu-linux-x86_64 brings it on Linux "
                        + "x86-64)" + (pytorchRunsIt ? ", or load with LoadOptions.withEngine(\"pytorch\")" : ""));
            }
            // The fastest engine for this CPU is not installed: the one every model runs on is.
            engine = Engine.PYTORCH;
        }
        Classifier classifier = Classifier.open(model, new Classifier.Options(engine, options.classFile(),
                options.imageSize(), options.threads(), precision));
        return new RepVggModel(classifier, options);
    }

    /** The class names, in the order of the network's outputs. */
    public List<String> classes() {
        return classifier.classes();
    }

    /** The side of the square image the network takes, after resize and center crop. */
    public int inputSize() {
        return classifier.preprocessing().inputSize();
    }

    /** The engine the network runs on: {@code pytorch}, {@code onnxruntime} or {@code onednn}. */
    public String engine() {
        return classifier.scorer().engine();
    }

    /** The options the model was loaded with. */
    public LoadOptions options() {
        return options;
    }

    /** Classifies an image file (JPEG, PNG, BMP, GIF, WebP); an {@link IOException} names it if it cannot be read. */
    public Prediction classify(Path image) throws IOException {
        return predict(List.of(ImageDecoder.read(image))).get(0);
    }

    /** Classifies an encoded image (the bytes of a JPEG, PNG, ... file). */
    public Prediction classify(byte[] encoded) throws IOException {
        return predict(List.of(ImageDecoder.read(encoded, "image bytes"))).get(0);
    }

    /** Classifies an encoded image read from {@code encoded} (to its end; the stream is not closed). */
    public Prediction classify(InputStream encoded) throws IOException {
        return predict(List.of(ImageDecoder.read(encoded.readAllBytes(), "image stream"))).get(0);
    }

    /** Classifies a decoded image; transparency is dropped and grey turned into RGB, as for files. */
    public Prediction classify(BufferedImage image) {
        return predict(List.of(ImageDecoder.toRgb(image))).get(0);
    }

    /** Classifies a DJL image (from {@code ImageFactory}). */
    public Prediction classify(Image image) {
        return predict(List.of(ImageInputs.rgb(image))).get(0);
    }

    /**
     * Classifies image files, in batches of {@link LoadOptions#batchSize()}; one prediction per file, in
     * order. The first file that cannot be read ends the call with an {@link IOException} naming it.
     */
    public List<Prediction> classify(List<Path> images) throws IOException {
        List<Prediction> out = new ArrayList<>(images.size());
        for (int start = 0; start < images.size(); start += options.batchSize()) {
            List<RgbImage> batch = new ArrayList<>();
            for (Path image : images.subList(start, Math.min(images.size(), start + options.batchSize()))) {
                batch.add(ImageDecoder.read(image));
            }
            out.addAll(predict(batch));
        }
        return out;
    }

    /** Classifies decoded images, in batches of {@link LoadOptions#batchSize()}; one prediction per image, in order. */
    public List<Prediction> classifyImages(List<BufferedImage> images) {
        List<Prediction> out = new ArrayList<>(images.size());
        for (int start = 0; start < images.size(); start += options.batchSize()) {
            out.addAll(predict(images.subList(start, Math.min(images.size(), start + options.batchSize())).stream()
                    .map(ImageDecoder::toRgb).toList()));
        }
        return out;
    }

    /**
     * Top-1, top-5 and per-class precision / recall / F1 on a labelled list file ({@code <image path>
     * <label index>} per line, labels numbering this model's classes), as {@code repvgg eval} reports them.
     * Images that cannot be read are skipped and counted.
     *
     * @throws IOException if the list cannot be read
     * @throws IllegalArgumentException if a line has no label or a label out of range (the message names the line)
     */
    public EvaluationReport evaluate(Path listFile) throws IOException {
        ListFile list = ListFile.read(listFile);
        Path classSource = Files.isDirectory(Path.of(classifier.source()))
                ? Path.of(classifier.source()).resolve(ModelDirectory.CONFIG_FILE) : Path.of(classifier.source());
        list.check(classes().size(), classSource);
        ClassificationReport report = new ClassificationReport(classes());
        List<Sample> samples = list.samples();
        int skipped = 0;
        for (int start = 0; start < samples.size(); start += options.batchSize()) {
            List<RgbImage> images = new ArrayList<>();
            List<Integer> labels = new ArrayList<>();
            for (Sample s : samples.subList(start, Math.min(samples.size(), start + options.batchSize()))) {
                try {
                    images.add(ImageDecoder.read(s.path()));
                    labels.add(s.label());
                } catch (IOException e) {
                    skipped++;
                }
            }
            if (images.isEmpty()) {
                continue;
            }
            float[][] logits = logits(images);
            for (int i = 0; i < logits.length; i++) {
                report.add(labels.get(i), Scores.softmax(logits[i]));
            }
        }
        return EvaluationReport.of(report, skipped);
    }

    private List<Prediction> predict(List<RgbImage> images) {
        float[][] logits = logits(images);
        List<Prediction> out = new ArrayList<>(logits.length);
        for (float[] row : logits) {
            float[] p = Scores.softmax(row);
            List<ClassScore> top = new ArrayList<>();
            for (int i : Scores.topK(p, options.topK())) {
                top.add(new ClassScore(i, classes().get(i), p[i]));
            }
            out.add(new Prediction(top, options.rawScores() ? row : new float[0]));
        }
        return out;
    }

    /** Preprocesses on the calling thread, then scores the batch on the shared engine session. */
    private float[][] logits(List<RgbImage> images) {
        if (closed) {
            throw new IllegalStateException(classifier.source() + ": the model is closed; load it again");
        }
        int size = inputSize();
        int per = 3 * size * size;
        float[] nchw = new float[images.size() * per];
        for (int i = 0; i < images.size(); i++) {
            System.arraycopy(transform.apply(images.get(i), null), 0, nchw, i * per, per);
        }
        return classifier.logits(nchw, images.size());
    }

    @Override
    public void close() {
        closed = true;
        classifier.close();
    }
}
