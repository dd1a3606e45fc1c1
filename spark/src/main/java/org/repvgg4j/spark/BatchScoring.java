package org.repvgg4j.spark;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.ModelDirectory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The Spark job: scores list files and/or image folders with a model directory and writes one
 * Parquet row per image ({@link ScoreTable#OUTPUT}). Run it with spark-submit, or directly
 * ({@code tools/spark_local.sh}) on {@code local[*]}.
 */
@Command(name = "BatchScoring", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Scores images with a RepVGG model directory on Spark; Parquet out, one row per image.")
public final class BatchScoring implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "model directory (model.json + model.safetensors)")
    Path model;

    @Option(names = "--list", description = "list file ('<image path> [label]' per line); repeatable")
    List<Path> lists = new ArrayList<>();

    @Option(names = "--images", description = "folder of images, read by Spark as binary files (local path or any "
            + "Hadoop URI: hdfs://, s3a://); repeatable")
    List<String> folders = new ArrayList<>();

    @Option(names = "--out", required = true, description = "Parquet output folder; a rerun replaces it")
    String out;

    // No defaultValue: picocli would apply it after parsing and undo a value given as --top
    @Option(names = "--top-k", paramLabel = "K", description = "classes kept per row, best first (default: ${DEFAULT-VALUE})")
    int topK = 5;

    /** The name this option had before every repvgg command called it --top-k; not shown in --help. */
    @Option(names = "--top", hidden = true, paramLabel = "K")
    void formerTop(int k) {
        topK = k;
    }

    @Option(names = "--batch-size", defaultValue = "32", description = "images per forward pass (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--partitions", defaultValue = "0",
            description = "partitions for list input (default: max(cores, images / 256))")
    int partitions;

    @Option(names = "--torch-threads", defaultValue = "0",
            description = "PyTorch threads per executor JVM (default: PyTorch's own choice)")
    int torchThreads;

    @Option(names = "--model-shared", description = "executors read --model where it is (a shared mount) "
            + "instead of receiving a copy of its two files")
    boolean modelShared;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The session to run in; null starts one (and stops it at the end). Tests pass their own. */
    private final SparkSession given;

    public BatchScoring() {
        this(null);
    }

    BatchScoring(SparkSession session) {
        this.given = session;
    }

    /** What a run did, as printed at its end. */
    public record Summary(long images, long unreadable, double seconds, String out) {
        double imagesPerSecond() {
            return images / Math.max(seconds, 1e-9);
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new BatchScoring()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (lists.isEmpty() && folders.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give at least one --list or --images");
        }
        ModelConfig config = ModelDirectory.readConfig(model); // fails here, not on every executor
        ScoringSettings settings = new ScoringSettings(model.toAbsolutePath().toString(), !modelShared,
                Math.min(topK, config.numClasses()), batchSize, torchThreads);
        SparkSession spark = given != null ? given : JobSession.start("repvgg4j batch scoring");
        try {
            Summary summary = run(spark, settings);
            PrintWriter stdout = spec.commandLine().getOut();
            stdout.printf(Locale.ROOT, "%d images (%d unreadable) in %.1f s, %.1f images/s -> %s%n",
                    summary.images(), summary.unreadable(), summary.seconds(), summary.imagesPerSecond(), summary.out());
            stdout.flush();
            return 0;
        } finally {
            if (given == null) {
                spark.stop();
            }
        }
    }

    private Summary run(SparkSession spark, ScoringSettings settings) throws IOException {
        long start = System.nanoTime();
        refuseForeignOutput(spark, out);
        if (settings.shipped()) {
            // Two files, not the folder: Spark ships local folders only in local mode.
            for (String file : List.of(ModelDirectory.CONFIG_FILE, ModelDirectory.WEIGHTS_FILE)) {
                String uri = model.resolve(file).toAbsolutePath().toUri().toString();
                if (!spark.sparkContext().listFiles().contains(uri)) { // a rerun in the same session
                    spark.sparkContext().addFile(uri);
                }
            }
        }
        Dataset<Row> images = null;
        if (!lists.isEmpty()) {
            images = ImageInputs.fromLists(spark, lists, partitions);
        }
        for (String folder : folders) {
            Dataset<Row> more = ImageInputs.fromFolder(spark, folder);
            images = images == null ? more : images.union(more);
        }
        Dataset<Row> scored = images.mapPartitions(new PartitionScorer(settings), Encoders.row(ScoreTable.OUTPUT));
        // Overwrite + Spark's output committer: a rerun replaces the previous output as a whole, so
        // rows are never duplicated, and a failed task's partial file is never committed.
        scored.write().mode(SaveMode.Overwrite).parquet(out);
        double seconds = (System.nanoTime() - start) / 1e9;
        Dataset<Row> written = spark.read().parquet(out);
        long rows = written.count();
        long errors = written.filter(functions.col(ScoreTable.ERROR).isNotNull()).count();
        return new Summary(rows, errors, seconds, out);
    }

    /**
     * Overwrite mode deletes the output folder first: refuse a folder that holds anything but a
     * previous Spark output, so a mistyped --out cannot wipe someone's files.
     */
    private static void refuseForeignOutput(SparkSession spark, String out) throws IOException {
        org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(out);
        FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
        if (!fs.exists(path)) {
            return;
        }
        if (!fs.getFileStatus(path).isDirectory()) {
            throw new IOException(out + ": --out exists and is a file; give a folder for the Parquet output");
        }
        for (FileStatus child : fs.listStatus(path)) {
            String name = child.getPath().getName();
            boolean fromSpark = name.equals("_SUCCESS") || name.startsWith("part-") || name.startsWith(".part-")
                    || name.startsWith("_") || name.startsWith("._");
            if (!fromSpark) {
                throw new IOException(out + ": --out holds " + name + ", which is not from a previous scoring run; "
                        + "choose a new folder or empty this one (a rerun replaces the whole folder)");
            }
        }
    }
}
