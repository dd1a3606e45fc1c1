package org.repvgg4j.infer;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.repvgg4j.eval.Csv;
import org.repvgg4j.io.Npy;
import org.repvgg4j.io.NpyArray;

/** Reads back what {@link BatchInference} wrote: the class names and, per finished shard, its rows. */
public final class BatchResults {

    /** One result row: the image path, its scores (null for an error row) and the error. */
    public record Row(String shard, String path, float[] scores, String error) {}

    private final Path dir;
    private final List<String> classes;
    private final List<String> shards;
    private final List<String> unfinished;

    private BatchResults(Path dir, List<String> classes, List<String> shards, List<String> unfinished) {
        this.dir = dir;
        this.classes = classes;
        this.shards = shards;
        this.unfinished = unfinished;
    }

    public static BatchResults open(Path dir) throws IOException {
        Path manifest = dir.resolve(BatchInference.MANIFEST);
        if (!Files.isRegularFile(manifest)) {
            throw new NoSuchFileException(manifest.toString(), null,
                    "no batch results here ('repvgg batch --out' writes this file)");
        }
        List<String> classes = new ArrayList<>();
        List<String> finished = new ArrayList<>();
        List<String> unfinished = new ArrayList<>();
        try {
            JsonObject o = JsonParser.parseString(Files.readString(manifest)).getAsJsonObject();
            for (var c : o.getAsJsonArray("classes")) {
                classes.add(c.getAsString());
            }
            JsonArray shards = o.getAsJsonArray("shards");
            for (var s : shards) {
                String name = s.getAsJsonObject().get("name").getAsString();
                (ShardResults.finished(dir, name) ? finished : unfinished).add(name);
            }
        } catch (JsonParseException | IllegalStateException | NullPointerException | ClassCastException e) {
            throw new IOException(manifest + ": not a batch manifest (" + e.getMessage() + ")", e);
        }
        return new BatchResults(dir, List.copyOf(classes), List.copyOf(finished), List.copyOf(unfinished));
    }

    public List<String> classes() {
        return classes;
    }

    /** Finished shards, whose rows {@link #forEachRow} reads. */
    public List<String> shards() {
        return shards;
    }

    /** Shards started but not finished (a run still going, or one to continue). */
    public List<String> unfinished() {
        return unfinished;
    }

    /** Reads each finished shard's CSV and .npy side by side; they must agree row for row. */
    public void forEachRow(Consumer<Row> action) throws IOException {
        for (String shard : shards) {
            Path csv = dir.resolve(shard + ShardResults.CSV);
            Path npy = dir.resolve(shard + ShardResults.NPY);
            NpyArray scores = Npy.read(npy);
            long[] shape = scores.shape();
            if (shape.length != 2 || shape[1] != classes.size()) {
                throw new IOException(npy + ": expected float32 [rows, " + classes.size() + "], got "
                        + Npy.shapeText(shape));
            }
            float[] values = scores.toFloats();
            int n = (int) shape[0];
            int c = classes.size();
            try (BufferedReader in = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
                String header = in.readLine();
                if (header == null || !header.startsWith("path,") || !header.endsWith(",error")) {
                    throw new IOException(csv + ": not a batch results file (header: " + header + ")");
                }
                int row = 0;
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (row >= n) {
                        throw new IOException(csv + ": more rows than " + npy.getFileName() + " (" + n + ")");
                    }
                    List<String> fields = Csv.split(line);
                    String error = fields.get(fields.size() - 1);
                    float[] s = null;
                    if (error.isEmpty()) {
                        s = java.util.Arrays.copyOfRange(values, row * c, (row + 1) * c);
                    }
                    action.accept(new Row(shard, fields.get(0), s, error.isEmpty() ? null : error));
                    row++;
                }
                if (row != n) {
                    throw new IOException(csv + ": " + row + " rows, but " + npy.getFileName() + " has " + n);
                }
            }
        }
    }
}
