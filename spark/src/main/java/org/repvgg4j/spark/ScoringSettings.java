package org.repvgg4j.spark;

import java.io.Serializable;
import java.nio.file.Path;
import org.apache.spark.SparkFiles;

/**
 * What every executor needs to score images, sent with each task: where the model directory is,
 * how many classes to keep per row, how many images go through the network at once, and how many
 * threads PyTorch may use per executor JVM (0 leaves PyTorch's default).
 *
 * @param model the model directory as the driver was given it
 * @param shipped true when {@code model.json} and {@code model.safetensors} were sent to the executors
 *     with {@code SparkContext.addFile} (or {@code spark-submit --files}); false when {@code model} is
 *     a path every executor can read (one machine, or a shared mount)
 */
public record ScoringSettings(String model, boolean shipped, int topK, int batchSize, int torchThreads)
        implements Serializable {

    public ScoringSettings {
        if (topK < 1) {
            throw new IllegalArgumentException("--top must be >= 1, got " + topK);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch-size must be >= 1, got " + batchSize);
        }
        if (torchThreads < 0) {
            throw new IllegalArgumentException("--torch-threads must be >= 0, got " + torchThreads);
        }
    }

    /** The model directory as seen from the JVM this runs in: when shipped, the folder Spark copied the files to. */
    public Path modelDirectory() {
        return shipped ? Path.of(SparkFiles.getRootDirectory()) : Path.of(model);
    }
}
