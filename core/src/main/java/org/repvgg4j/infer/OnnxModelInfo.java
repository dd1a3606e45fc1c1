package org.repvgg4j.infer;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.repvgg4j.export.OnnxExporter;
import org.repvgg4j.weights.Preprocessing;

/**
 * What an ONNX file written by {@code repvgg export} says about itself in its {@code metadata_props}:
 * class names and preprocessing, enough to classify images with the file alone.
 */
public record OnnxModelInfo(List<String> classes, Preprocessing preprocessing) {

    private static final Gson GSON = new Gson();

    /** Reads the metadata; a missing or malformed key is named together with the file. */
    public static OnnxModelInfo of(Path file, Map<String, String> meta) {
        String[] classes = parse(file, meta, OnnxExporter.META_CLASSES, String[].class);
        Double[] mean = parse(file, meta, OnnxExporter.META_MEAN, Double[].class);
        Double[] std = parse(file, meta, OnnxExporter.META_STD, Double[].class);
        int size = parse(file, meta, OnnxExporter.META_INPUT_SIZE, Integer.class);
        int resize = parse(file, meta, OnnxExporter.META_RESIZE_SIZE, Integer.class);
        return new OnnxModelInfo(List.of(classes), new Preprocessing(size, resize, Arrays.asList(mean), Arrays.asList(std)));
    }

    private static <T> T parse(Path file, Map<String, String> meta, String key, Class<T> type) {
        String value = meta.get(key);
        if (value == null) {
            throw new IllegalArgumentException(file + ": metadata_props has no '" + key + "'; only ONNX files written "
                    + "by 'repvgg export' carry class names and preprocessing (export the model directory again)");
        }
        try {
            T parsed = GSON.fromJson(value, type);
            if (parsed == null) {
                throw new JsonParseException("empty");
            }
            return parsed;
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(file + ": metadata_props '" + key + "' is not valid: " + value);
        }
    }
}
