package org.repvgg4j.spark;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.repvgg4j.data.ImageTransform;
import org.repvgg4j.data.RgbImage;
import org.repvgg4j.infer.Classifier;
import org.repvgg4j.infer.Engine;
import org.repvgg4j.infer.Scores;

/**
 * A model directory opened for scoring on an executor: core's {@link Classifier} on the PyTorch
 * engine (the job jar carries no ONNX Runtime) and the model's evaluation transform, so the job
 * scores exactly as {@code repvgg batch --engine pytorch} does. Safe from several task threads at
 * once (inference reads the weights, never writes them).
 */
public final class ScoringModel {

    private final Path directory;
    private final Classifier classifier;
    private final ImageTransform transform;

    private ScoringModel(Path directory, Classifier classifier) {
        this.directory = directory;
        this.classifier = classifier;
        this.transform = ImageTransform.eval(classifier.preprocessing());
    }

    /** Opens {@code directory}; the executor-wide cache keeps it for the life of the JVM. */
    public static ScoringModel load(Path directory) throws IOException {
        return new ScoringModel(directory, Classifier.open(directory, Classifier.Options.of(Engine.PYTORCH)));
    }

    public Path directory() {
        return directory;
    }

    public List<String> classes() {
        return classifier.classes();
    }

    /** Network input for one image, exactly as {@code repvgg batch} and {@code predict} prepare it. */
    public float[] input(RgbImage image) {
        return transform.apply(image, null);
    }

    /** Softmax probabilities for a batch of prepared inputs, one array of {@code numClasses} per input. */
    public float[][] score(List<float[]> inputs) {
        int plane = 3 * transform.size() * transform.size();
        float[] batch = new float[inputs.size() * plane];
        for (int i = 0; i < inputs.size(); i++) {
            System.arraycopy(inputs.get(i), 0, batch, i * plane, plane);
        }
        float[][] logits = classifier.logits(batch, inputs.size());
        float[][] scores = new float[logits.length][];
        for (int i = 0; i < logits.length; i++) {
            scores[i] = Scores.softmax(logits[i]);
        }
        return scores;
    }
}
