package org.repvgg4j.weights;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVggSpec;

/**
 * What {@code model.json} says about a model: its architecture and form, its classes, how to
 * preprocess its input, and where it came from. A model is usable without remembering how it was
 * trained.
 */
public record ModelConfig(
        RepVggSpec spec, Form form, List<String> classes, Preprocessing preprocessing, Map<String, String> provenance) {

    public static final String FORMAT = "repvgg4j-model";
    public static final int FORMAT_VERSION = 1;

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    public ModelConfig {
        classes = List.copyOf(classes);
        provenance = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(provenance));
        if (classes.isEmpty()) {
            throw new IllegalArgumentException("a model needs at least one class");
        }
        String duplicate = org.repvgg4j.data.ClassIndex.duplicateOf(classes);
        if (duplicate != null) {
            throw new IllegalArgumentException("'classes': " + duplicate);
        }
    }

    public int numClasses() {
        return classes.size();
    }

    /** Class names {@code class_0 .. class_(n-1)} for a model created with only a class count. */
    public static List<String> numberedClasses(int n) {
        List<String> names = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            names.add("class_" + i);
        }
        return names;
    }

    public ModelConfig withForm(Form newForm) {
        return new ModelConfig(spec, newForm, classes, preprocessing, provenance);
    }

    /** A copy with {@code entries} added to (or replacing keys of) the provenance. */
    public ModelConfig withProvenance(Map<String, String> entries) {
        Map<String, String> merged = new LinkedHashMap<>(provenance);
        merged.putAll(entries);
        return new ModelConfig(spec, form, classes, preprocessing, merged);
    }

    public String toJson() {
        JsonObject root = new JsonObject();
        root.addProperty("format", FORMAT);
        root.addProperty("format_version", FORMAT_VERSION);
        root.addProperty("arch", spec.name());
        JsonObject s = new JsonObject();
        s.add("depths", GSON.toJsonTree(spec.depths()));
        s.add("widths", GSON.toJsonTree(spec.widths()));
        s.addProperty("groups", spec.groups());
        s.addProperty("se", spec.se());
        root.add("spec", s);
        root.addProperty("form", form.id());
        root.addProperty("num_classes", classes.size());
        root.add("classes", GSON.toJsonTree(classes));
        root.addProperty("input_size", preprocessing.inputSize());
        root.addProperty("resize_size", preprocessing.resizeSize());
        root.addProperty("crop_ratio", (double) preprocessing.inputSize() / preprocessing.resizeSize());
        root.add("mean", GSON.toJsonTree(preprocessing.mean()));
        root.add("std", GSON.toJsonTree(preprocessing.std()));
        root.add("provenance", GSON.toJsonTree(provenance));
        return GSON.toJson(root) + "\n";
    }

    /**
     * Parses model.json text. {@code source} names the file in errors, which say which field is
     * missing or wrong.
     */
    public static ModelConfig fromJson(String json, String source) {
        JsonObject root;
        try {
            JsonElement parsed = JsonParser.parseString(json);
            if (!parsed.isJsonObject()) {
                throw new IllegalArgumentException(source + ": not a JSON object");
            }
            root = parsed.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(source + ": not valid JSON (" + e.getMessage() + ")", e);
        }
        try {
            RepVggSpec spec = readSpec(root, source);
            Form form = Form.parse(string(root, "form", source));
            List<String> classes = new ArrayList<>();
            for (JsonElement e : array(root, "classes", source)) {
                classes.add(e.getAsString());
            }
            if (root.has("num_classes") && root.get("num_classes").getAsInt() != classes.size()) {
                throw new IllegalArgumentException(source + ": num_classes is " + root.get("num_classes").getAsInt()
                        + " but 'classes' lists " + classes.size() + " names");
            }
            int inputSize = integer(root, "input_size", source);
            int resizeSize = root.has("resize_size") ? root.get("resize_size").getAsInt()
                    : Preprocessing.imagenet(inputSize).resizeSize();
            List<Double> mean = root.has("mean") ? doubles(array(root, "mean", source)) : Preprocessing.IMAGENET_MEAN;
            List<Double> std = root.has("std") ? doubles(array(root, "std", source)) : Preprocessing.IMAGENET_STD;
            Map<String, String> provenance = new LinkedHashMap<>();
            if (root.has("provenance") && root.get("provenance").isJsonObject()) {
                for (Map.Entry<String, JsonElement> e : root.getAsJsonObject("provenance").entrySet()) {
                    provenance.put(e.getKey(), e.getValue().isJsonPrimitive()
                            ? e.getValue().getAsString() : e.getValue().toString());
                }
            }
            return new ModelConfig(spec, form, classes,
                    new Preprocessing(inputSize, resizeSize, mean, std), provenance);
        } catch (IllegalStateException | UnsupportedOperationException | NumberFormatException e) {
            throw new IllegalArgumentException(source + ": malformed field (" + e.getMessage() + ")", e);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(source)) {
                throw e;
            }
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    /** The arch name decides; the spec fields, when present, must agree with it. */
    private static RepVggSpec readSpec(JsonObject root, String source) {
        RepVggSpec spec = RepVggSpec.parse(string(root, "arch", source));
        if (root.has("spec")) {
            JsonObject s = root.getAsJsonObject("spec");
            List<Integer> depths = new ArrayList<>();
            for (JsonElement e : array(s, "depths", source + " spec")) {
                depths.add(e.getAsInt());
            }
            List<Double> widths = doubles(array(s, "widths", source + " spec"));
            int groups = s.has("groups") ? s.get("groups").getAsInt() : 1;
            boolean se = s.has("se") && s.get("se").getAsBoolean();
            if (!spec.depths().equals(depths) || !spec.widths().equals(widths)
                    || spec.groups() != groups || spec.se() != se) {
                throw new IllegalArgumentException(source + ": arch " + spec.name()
                        + " does not match its spec fields (depths " + depths + ", widths " + widths
                        + ", groups " + groups + ", se " + se + ")");
            }
        }
        return spec;
    }

    private static String string(JsonObject o, String field, String source) {
        if (!o.has(field)) {
            throw new IllegalArgumentException(source + ": missing field '" + field + "'");
        }
        return o.get(field).getAsString();
    }

    private static int integer(JsonObject o, String field, String source) {
        if (!o.has(field)) {
            throw new IllegalArgumentException(source + ": missing field '" + field + "'");
        }
        return o.get(field).getAsInt();
    }

    private static JsonArray array(JsonObject o, String field, String source) {
        if (!o.has(field) || !o.get(field).isJsonArray()) {
            throw new IllegalArgumentException(source + ": missing list field '" + field + "'");
        }
        return o.getAsJsonArray(field);
    }

    private static List<Double> doubles(JsonArray a) {
        List<Double> out = new ArrayList<>();
        for (JsonElement e : a) {
            out.add(e.getAsDouble());
        }
        return out;
    }
}
