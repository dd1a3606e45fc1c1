package org.repvgg4j.spark;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.GlobFilter;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.repvgg4j.data.ImageFiles;
import org.repvgg4j.data.ListEntry;
import org.repvgg4j.data.ListFile;

/** The images a job scores, as {@link ScoreTable#INPUT} rows: from list files or from folders of images. */
public final class ImageInputs {

    /** Images per partition when the job picks the partition count: a few seconds of work per task for A0. */
    static final int IMAGES_PER_PARTITION = 256;

    private ImageInputs() {}

    /**
     * The images of list files (labelled or not; labels are ignored here), in list order, as paths
     * the executors open themselves: they must see the same files (one machine, or a shared mount).
     * {@code partitions <= 0} picks max(default parallelism, images / 256).
     */
    public static Dataset<Row> fromLists(SparkSession spark, List<Path> lists, int partitions) throws IOException {
        List<Row> rows = new ArrayList<>();
        for (Path list : lists) {
            for (ListEntry entry : ListFile.read(list).entries()) {
                rows.add(RowFactory.create(entry.path().toAbsolutePath().toString(), null));
            }
        }
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int slices = partitions > 0 ? partitions
                : Math.max(sc.defaultParallelism(), (rows.size() + IMAGES_PER_PARTITION - 1) / IMAGES_PER_PARTITION);
        // parallelize cuts the list into contiguous slices, so the output keeps list order per partition.
        JavaRDD<Row> rdd = sc.parallelize(rows, Math.max(1, Math.min(slices, rows.size())));
        return spark.createDataFrame(rdd, ScoreTable.INPUT);
    }

    /**
     * The image files under a folder (recursively; any Hadoop file system URI or a local path),
     * read by Spark as binary files on the executors. Images are picked by extension in any case
     * ({@link ImageFiles#EXTENSIONS}); Spark skips names starting with {@code .} or {@code _}.
     */
    public static Dataset<Row> fromFolder(SparkSession spark, String folder) throws IOException {
        Dataset<Row> read = spark.read().format("binaryFile")
                .option("recursiveFileLookup", "true")
                .option("pathGlobFilter", imageGlob())
                .load(folder)
                .select(functions.col(ScoreTable.PATH), functions.col(ScoreTable.CONTENT));
        // Spark's file scan drops zero-byte files without a word; an empty "photo.jpg" is a broken
        // image the user should see in the error column, so those few come back as empty content.
        List<Row> empty = emptyImageFiles(spark, folder);
        return empty.isEmpty() ? read : read.union(spark.createDataFrame(empty, ScoreTable.INPUT));
    }

    private static List<Row> emptyImageFiles(SparkSession spark, String folder) throws IOException {
        org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(folder);
        FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
        GlobFilter images = new GlobFilter(imageGlob());
        int depth = fs.makeQualified(root).depth();
        List<Row> rows = new ArrayList<>();
        RemoteIterator<LocatedFileStatus> files = fs.listFiles(root, true);
        while (files.hasNext()) {
            LocatedFileStatus file = files.next();
            if (file.getLen() == 0 && images.accept(file.getPath()) && !hidden(file.getPath(), depth)) {
                rows.add(RowFactory.create(file.getPath().toString(), new byte[0]));
            }
        }
        return rows;
    }

    /** Whether a name below the folder starts with {@code .} or {@code _}, as Spark's file listing skips them. */
    private static boolean hidden(org.apache.hadoop.fs.Path file, int rootDepth) {
        for (org.apache.hadoop.fs.Path p = file; p != null && p.depth() > rootDepth; p = p.getParent()) {
            if (p.getName().startsWith(".") || p.getName().startsWith("_")) {
                return true;
            }
        }
        return false;
    }

    /** A Hadoop glob matching the image extensions in any case: {@code *.{[jJ][pP][gG],...}}. */
    static String imageGlob() {
        return ImageFiles.EXTENSIONS.stream().sorted()
                .map(ext -> ext.chars().mapToObj(c -> "[" + (char) c + Character.toUpperCase((char) c) + "]")
                        .collect(Collectors.joining()))
                .collect(Collectors.joining(",", "*.{", "}"));
    }

    /**
     * How an image read by Spark is named in the output: a local file as its plain path (so it
     * matches list files and {@code repvgg batch}), anything else as the URI Spark gives.
     */
    static String localName(String sparkPath) {
        java.net.URI uri = new org.apache.hadoop.fs.Path(sparkPath).toUri();
        String scheme = uri.getScheme();
        return scheme == null || scheme.toLowerCase(Locale.ROOT).equals("file") ? uri.getPath() : sparkPath;
    }
}
