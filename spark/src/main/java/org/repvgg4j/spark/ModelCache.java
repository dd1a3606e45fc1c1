package org.repvgg4j.spark;

import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.repvgg4j.weights.ModelDirectory;

/**
 * The models loaded in this JVM, one per model directory: an executor runs many tasks (partitions)
 * over its life, and loading the weights once per task would cost more than scoring a small partition.
 */
public final class ModelCache {

    // Deliberately static, mutable state: a Spark executor has no other per-JVM place to keep
    // the network between tasks. Entries live until the JVM ends, which also frees their
    // native memory; the classifiers are therefore never closed.
    private static final Map<String, ScoringModel> MODELS = new ConcurrentHashMap<>();

    private ModelCache() {}

    /**
     * The model in {@code directory}, loaded on first use in this JVM. {@code torchThreads > 0} sets
     * PyTorch's intra-op thread count (process-wide) when the first model is loaded.
     */
    public static ScoringModel get(Path directory, int torchThreads) {
        Path dir = directory.toAbsolutePath().normalize();
        return MODELS.computeIfAbsent(key(dir), k -> {
            try {
                if (torchThreads > 0) {
                    ai.djl.engine.Engine.getEngine("PyTorch"); // loads the native library the call below needs
                    JniUtils.setNumThreads(torchThreads);
                }
                return ScoringModel.load(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(dir + ": cannot load the model on this executor (" + e.getMessage() + ")", e);
            }
        });
    }

    /**
     * The directory and its weights file's size and time: a shipped model always lands in the same
     * SparkFiles folder, so a later job with another model must not get the earlier one.
     */
    private static String key(Path dir) {
        try {
            Path weights = dir.resolve(ModelDirectory.WEIGHTS_FILE);
            return dir + "|" + Files.size(weights) + "|" + Files.getLastModifiedTime(weights).toMillis();
        } catch (IOException e) {
            return dir.toString(); // loading will report the missing file
        }
    }

    /** How many models this JVM holds (tests check the model is loaded once, not per task). */
    public static int size() {
        return MODELS.size();
    }
}
