package org.repvgg4j.weights;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.repvgg4j.io.Sha256;

/**
 * The SHA-256 of every file beside {@code model.json} (the weights, and in a training checkpoint the
 * optimizer, EMA and state files), recorded in {@code model.json} under {@code "sha256"} when the
 * directory is written and checked before anything is read from it, so that a damaged or edited file
 * is refused instead of giving wrong scores. Directories written before checksums existed have none:
 * their safetensors files are still checked for truncation.
 */
public final class WeightChecksums {

    /** The model.json field: file name to hex digest. */
    public static final String FIELD = "sha256";

    private WeightChecksums() {}

    /**
     * {@code configJson} with the digests of the regular, non-hidden files of {@code dir} other than
     * model.json itself added: what model.json says once every other file is in place.
     */
    static String record(String configJson, Path dir) throws IOException {
        JsonObject root = JsonParser.parseString(configJson).getAsJsonObject();
        JsonObject digests = new JsonObject();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                String name = file.getFileName().toString();
                if (!name.equals(ModelDirectory.CONFIG_FILE) && !name.startsWith(".")) {
                    digests.addProperty(name, Sha256.of(file));
                }
            }
        }
        root.add(FIELD, digests);
        return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(root) + "\n";
    }

    /**
     * Checks every file model.json records against its digest; a mismatch is an {@link IOException}
     * naming the file. Returns the names checked (empty for a directory written without checksums, whose
     * weights are then only checked for truncation). A recorded file that is absent is left to the reader
     * that needs it: copies of a model may leave out what they do not use.
     */
    public static List<String> verify(Path dir) throws IOException {
        Map<String, String> recorded = recorded(dir);
        for (Map.Entry<String, String> e : recorded.entrySet()) {
            Path file = dir.resolve(e.getKey());
            if (Files.isRegularFile(file) && !Sha256.of(file).equals(e.getValue())) {
                throw new IOException(file + ": damaged or changed since it was written (its SHA-256 is not the one "
                        + dir.resolve(ModelDirectory.CONFIG_FILE).getFileName() + " records); restore it from a copy "
                        + "or write the model again");
            }
        }
        if (recorded.isEmpty()) {
            Path weights = dir.resolve(ModelDirectory.WEIGHTS_FILE);
            if (Files.isRegularFile(weights)) {
                SafetensorsFile.checkComplete(weights);
            }
        }
        return List.copyOf(recorded.keySet());
    }

    /** The digest model.json records for {@code file}, if it records one. */
    public static Optional<String> recorded(Path dir, String file) throws IOException {
        return Optional.ofNullable(recorded(dir).get(file));
    }

    private static Map<String, String> recorded(Path dir) throws IOException {
        Path config = dir.resolve(ModelDirectory.CONFIG_FILE);
        JsonObject root;
        try {
            root = JsonParser.parseString(Files.readString(config, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new IOException(config + ": not valid JSON (" + e.getMessage() + ")", e);
        }
        if (!root.has(FIELD)) {
            return Map.of();
        }
        if (!root.get(FIELD).isJsonObject()) {
            throw new IOException(config + ": '" + FIELD + "' must map file names to digests");
        }
        Map<String, String> digests = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : root.getAsJsonObject(FIELD).entrySet()) {
            String name = e.getKey();
            if (name.contains("/") || name.contains("\\") || name.startsWith(".")) {
                throw new IOException(config + ": '" + FIELD + "' names '" + name + "', not a file of this directory");
            }
            digests.put(name, e.getValue().getAsString());
        }
        return digests;
    }
}
