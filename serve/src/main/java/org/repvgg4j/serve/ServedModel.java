package org.repvgg4j.serve;

import ai.djl.ndarray.NDManager;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import javax.imageio.ImageIO;
import org.repvgg4j.data.ImageTransform;
import org.repvgg4j.data.RgbImage;
import org.repvgg4j.explain.CamOverlay;
import org.repvgg4j.explain.GradCam;
import org.repvgg4j.export.Precision;
import org.repvgg4j.infer.Classifier;
import org.repvgg4j.infer.Engine;
import org.repvgg4j.infer.onednn.OneDnnScorer;
import org.repvgg4j.weights.LoadedModel;
import org.repvgg4j.weights.ModelDirectory;

/**
 * A model as the server holds it: the classifier (loaded once, shared by all requests; one copy per
 * {@code --instances}), its preprocessing, its batcher, and on first use a Grad-CAM of it for the web page.
 *
 * <p>The server uses {@link Classifier} rather than the public {@code RepVggModel} because batching
 * splits what {@code classify} does in one call: preprocessing on each request's thread, then one
 * forward pass over tensors from many requests, which the public API does not offer.
 */
final class ServedModel implements AutoCloseable {

    /** The last stage's output: the last convolutional features, the usual Grad-CAM layer. */
    private static final String CAM_LAYER = "stage4";

    private final String name;
    private final Path source;
    private final Classifier classifier;
    private final List<Classifier> instances;
    private final ImageTransform transform;
    private final DynamicBatcher batcher;
    private NDManager camManager;
    private GradCam cam;

    private ServedModel(String name, Path source, List<Classifier> instances, DynamicBatcher batcher) {
        this.name = name;
        this.source = source;
        this.classifier = instances.get(0);
        this.instances = instances;
        this.transform = ImageTransform.eval(classifier.preprocessing());
        this.batcher = batcher;
    }

    static ServedModel load(String name, Path source, ServeOptions options, ServeMetrics metrics,
            UnaryOperator<DynamicBatcher.Forward> wrap) throws IOException {
        Engine engine = options.engine() == null ? null : Engine.parse(options.engine());
        int threads = options.threads() > 0 ? options.threads()
                : Math.max(1, Runtime.getRuntime().availableProcessors() / options.instances());
        List<Classifier> instances = new ArrayList<>(options.instances());
        try {
            for (int i = 0; i < options.instances(); i++) {
                instances.add(Classifier.open(source, new Classifier.Options(engine, null, null, threads, Precision.FP32)));
            }
            int size = instances.get(0).preprocessing().inputSize();
            List<DynamicBatcher.Forward> forwards = new ArrayList<>();
            for (Classifier instance : instances) {
                forwards.add(wrap.apply(forward(instance, 3 * size * size, options.maxBatch())));
            }
            DynamicBatcher batcher = new DynamicBatcher(name, forwards, 3 * size * size,
                    options.maxBatch(), options.maxDelayMs(), options.maxQueue(), metrics);
            return new ServedModel(name, source, instances, batcher);
        } catch (IOException | RuntimeException e) {
            instances.forEach(Classifier::close);
            throw e;
        }
    }

    /**
     * The classifier's forward pass; on oneDNN, which compiles the network per batch size, run as pieces
     * of a few sizes that stay compiled and are compiled now, before the server says it is ready.
     */
    private static DynamicBatcher.Forward forward(Classifier classifier, int inputFloats, int maxBatch) {
        if (!(classifier.scorer() instanceof OneDnnScorer onednn)) {
            return classifier::logits;
        }
        FixedSizeBatches pieces = new FixedSizeBatches(classifier::logits, inputFloats, maxBatch);
        onednn.keepPlans(pieces.sizes().length);
        pieces.warmUp();
        return pieces;
    }

    String name() {
        return name;
    }

    List<String> classes() {
        return classifier.classes();
    }

    int inputSize() {
        return classifier.preprocessing().inputSize();
    }

    String engine() {
        return classifier.scorer().engine();
    }

    DynamicBatcher batcher() {
        return batcher;
    }

    /** The network's input for one image: resize, center crop, normalise, as {@code predict} does. */
    float[] preprocess(RgbImage image) {
        return transform.apply(image, null);
    }

    /**
     * The Grad-CAM overlay of {@code image} for class {@code classIndex} (the top class if negative), as a
     * PNG. One at a time: the map runs a float64 copy of the network with gradients, which is not shared.
     */
    synchronized byte[] camPng(RgbImage image, int classIndex) throws IOException {
        if (cam == null) {
            if (!Files.isDirectory(source)) {
                throw ApiError.badRequest("model '" + name + "' was loaded from " + source.getFileName()
                        + "; Grad-CAM needs a model directory (model.json + model.safetensors)");
            }
            NDManager manager = NDManager.newBaseManager();
            try {
                LoadedModel loaded = ModelDirectory.load(source, manager);
                cam = GradCam.of(loaded.network(), CAM_LAYER, manager);
                camManager = manager;
            } catch (IOException | RuntimeException e) {
                manager.close();
                throw e;
            }
        }
        if (classIndex >= classes().size()) {
            throw ApiError.badRequest("class " + classIndex + " is out of range: model '" + name + "' has "
                    + classes().size() + " classes");
        }
        GradCam.ClassMap map = cam.explain(preprocess(image), inputSize(), classIndex);
        BufferedImage picture = CamOverlay.render(image,
                ImageTransform.evalBox(classifier.preprocessing(), image.width(), image.height()), map,
                Math.max(inputSize(), CamOverlay.MIN_SIDE));
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(picture, "png", png);
        return png.toByteArray();
    }

    /** Finishes the queued images, then frees the network. */
    @Override
    public synchronized void close() {
        batcher.close();
        if (cam != null) {
            cam.close();
            camManager.close();
        }
        instances.forEach(Classifier::close);
    }
}
