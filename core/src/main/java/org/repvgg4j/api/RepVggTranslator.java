package org.repvgg4j.api;

import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.repvgg4j.data.ImageTransform;
import org.repvgg4j.infer.Scores;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.ModelDirectory;
import org.repvgg4j.weights.Preprocessing;

/**
 * DJL's {@code Translator<Image, Classifications>} for a RepVGG model: the model's own preprocessing
 * (resize the shorter side, center crop, scale to [0, 1], mean/std) computed exactly as {@link
 * RepVggModel} does, and softmax probabilities over the model's class names. {@link
 * RepVggTranslatorFactory} makes one from a model directory's {@code model.json}; you need this class
 * only to run a network of your own with our preprocessing.
 *
 * <pre>{@code
 * Criteria<Image, Classifications> criteria = Criteria.builder()
 *         .setTypes(Image.class, Classifications.class)
 *         .optModelPath(Path.of("model.pt"))
 *         .optTranslator(RepVggTranslator.of(Path.of("runs/flowers/deploy"), 5))
 *         .build();
 * }</pre>
 */
public final class RepVggTranslator implements Translator<Image, Classifications> {

    private final List<String> classes;
    private final ImageTransform transform;
    private final int topK;

    /**
     * A translator for a network that takes {@code inputSize} square crops of images whose shorter side
     * was resized to {@code resizeSize}, normalised by the RGB {@code mean} and {@code std} (of
     * values in [0, 1]), and gives one score per class in {@code classes}; {@code topK} classes are
     * listed by {@link Classifications#topK()}.
     */
    public RepVggTranslator(List<String> classes, int inputSize, int resizeSize, List<Double> mean, List<Double> std,
            int topK) {
        this(classes, new Preprocessing(inputSize, resizeSize, mean, std), topK);
    }

    private RepVggTranslator(List<String> classes, Preprocessing preprocessing, int topK) {
        if (topK < 1) {
            throw new IllegalArgumentException("topK must be >= 1, got " + topK);
        }
        this.classes = List.copyOf(classes);
        this.transform = ImageTransform.eval(preprocessing);
        this.topK = topK;
    }

    /** The translator a model directory's {@code model.json} describes. */
    public static RepVggTranslator of(Path modelDir, int topK) throws IOException {
        ModelConfig config = ModelDirectory.readConfig(modelDir);
        return new RepVggTranslator(config.classes(), config.preprocessing(), topK);
    }

    @Override
    public NDList processInput(TranslatorContext ctx, Image input) {
        int size = transform.size();
        float[] chw = transform.apply(ImageInputs.rgb(input), null);
        return new NDList(ctx.getNDManager().create(chw, new Shape(3, size, size)));
    }

    @Override
    public Classifications processOutput(TranslatorContext ctx, NDList list) {
        float[] logits = list.singletonOrThrow().toFloatArray();
        if (logits.length != classes.size()) {
            throw new IllegalStateException("the network gives " + logits.length + " scores, but the model names "
                    + classes.size() + " classes");
        }
        float[] p = Scores.softmax(logits);
        List<Double> probabilities = new ArrayList<>(p.length);
        for (float v : p) {
            probabilities.add((double) v);
        }
        Classifications result = new Classifications(classes, probabilities);
        result.setTopK(topK);
        return result;
    }
}
