package org.repvgg4j.api;

import ai.djl.Model;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.translator.BaseImageTranslatorFactory;
import ai.djl.translate.ArgumentsUtil;
import ai.djl.translate.Translator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The {@code TranslatorFactory} a model directory's {@code serving.properties} names, so that DJL's
 * {@code Criteria} (and DJL Serving) classify with the model's own preprocessing and class names. As
 * DJL's image factories do, it serves {@code Image}, {@code Path}, {@code URL} and {@code InputStream}
 * inputs (and {@code Input}/{@code Output} for DJL Serving); the {@code topK} argument (default 5)
 * sets how many classes {@code Classifications.topK()} lists.
 *
 * <pre>{@code
 * Criteria<Path, Classifications> criteria = Criteria.builder()
 *         .setTypes(Path.class, Classifications.class)
 *         .optModelPath(Path.of("runs/flowers/deploy"))
 *         .optArgument("topK", 3)
 *         .build();
 * }</pre>
 */
public final class RepVggTranslatorFactory extends BaseImageTranslatorFactory<Classifications> {

    private static final long serialVersionUID = 1L;

    @Override
    protected Translator<Image, Classifications> buildBaseTranslator(Model model, Map<String, ?> arguments) {
        try {
            return RepVggTranslator.of(model.getModelPath(), ArgumentsUtil.intValue(arguments, "topK", 5));
        } catch (IOException e) {
            throw new UncheckedIOException(model.getModelPath() + ": not a repvgg4j model directory ("
                    + e.getMessage() + ")", e);
        }
    }

    @Override
    public Class<Classifications> getBaseOutputType() {
        return Classifications.class;
    }
}
