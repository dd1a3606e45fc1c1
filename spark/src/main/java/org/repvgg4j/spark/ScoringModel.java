package org.repvgg4j.spark;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.repvgg4j.data.ImageTransform;
import org.repvgg4j.data.RgbImage;
import org.repvgg4j.weights.LoadedModel;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.ModelDirectory;

/**
 * A model directory loaded for scoring: the network, its classes and its evaluation transform.
 * Scoring is safe from several task threads at once (inference reads the weights, never writes them).
 */
public final class ScoringModel {

    private final Path directory;
    private final LoadedModel model;
    private final ImageTransform transform;

    private ScoringModel(Path directory, LoadedModel model) {
        this.directory = directory;
        this.model = model;
        this.transform = ImageTransform.eval(model.config().preprocessing());
    }

    /**
     * Loads {@code directory} onto {@code manager}, which must outlive the returned model (the
     * executor-wide cache keeps both for the life of the JVM).
     */
    public static ScoringModel load(Path directory, NDManager manager) throws IOException {
        return new ScoringModel(directory, ModelDirectory.load(directory, manager));
    }

    public Path directory() {
        return directory;
    }

    public ModelConfig config() {
        return model.config();
    }

    /** Network input for one image, exactly as {@code repvgg batch} and {@code predict} prepare it. */
    public float[] input(RgbImage image) {
        return transform.apply(image, null);
    }

    /**
     * Softmax probabilities for a batch of prepared inputs, one array of {@code numClasses} per input.
     * Must run with PyTorch's grad mode off on the calling thread (see {@link PartitionScorer}).
     */
    public float[][] score(List<float[]> inputs) {
        int size = transform.size();
        int plane = 3 * size * size;
        float[] batch = new float[inputs.size() * plane];
        for (int i = 0; i < inputs.size(); i++) {
            System.arraycopy(inputs.get(i), 0, batch, i * plane, plane);
        }
        int classes = model.config().numClasses();
        float[] flat;
        // The weights live on the model's manager; everything a batch allocates goes with this one.
        try (NDManager scratch = NDManager.newBaseManager()) {
            NDArray x = scratch.create(batch, new Shape(inputs.size(), 3, size, size));
            flat = model.network().infer(x).softmax(1).toFloatArray();
        }
        float[][] scores = new float[inputs.size()][classes];
        for (int i = 0; i < inputs.size(); i++) {
            System.arraycopy(flat, i * classes, scores[i], 0, classes);
        }
        return scores;
    }
}
