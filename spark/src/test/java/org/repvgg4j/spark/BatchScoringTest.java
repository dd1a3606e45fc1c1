package org.repvgg4j.spark;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repvgg4j.data.ListEntry;
import org.repvgg4j.data.ListFile;
import org.repvgg4j.eval.ClassificationReport;
import org.repvgg4j.infer.BatchInference;
import org.repvgg4j.infer.BatchResults;
import org.repvgg4j.infer.Classifier;
import org.repvgg4j.infer.Engine;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.reparam.EquivalenceCheck;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.ModelDirectory;
import org.repvgg4j.weights.NetworkWeights;
import org.repvgg4j.weights.Preprocessing;
import picocli.CommandLine;

/**
 * The Spark job on local[2] over 300 tiny images and a few broken files, checked against the
 * scores {@code repvgg batch} (core's BatchInference, default engine) writes for the same list.
 */
class BatchScoringTest {

    private static final RepVggSpec TINY = RepVggSpec.parse("depths=1,1,1,1;widths=0.125,0.125,0.125,0.25");
    private static final List<String> CLASSES = List.of("ant", "bee", "cat", "dog", "eel");
    private static final int GOOD_IMAGES = 300;
    private static final List<String> BROKEN = List.of("broken/empty.jpg", "broken/truncated.jpg", "broken/notes.png");
    private static final String MISSING = "broken/gone.png";

    @TempDir
    static Path tmp;

    private static SparkSession spark;
    private static Path model;
    private static Path images;
    private static Path list;

    @BeforeAll
    static void start() throws IOException {
        model = writeTinyModel(tmp.resolve("model"));
        images = tmp.resolve("images");
        list = writeImages(images);
        spark = SparkSession.builder().master("local[2]").appName("BatchScoringTest")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .getOrCreate();
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    @Test
    void everyListedImageHasOneRowAndScoresEqualRepvggBatch() throws Exception {
        String out = tmp.resolve("scores-list").toString();
        assertThat(score("--list", list.toString(), "--out", out, "--batch-size", "16")).contains("304 images (4 unreadable)");
        Map<String, Row> rows = rowsByPath(out);
        assertThat(spark.read().parquet(out).count()).as("one row per listed image").isEqualTo(GOOD_IMAGES + BROKEN.size() + 1);
        assertThat(rows).hasSize(GOOD_IMAGES + BROKEN.size() + 1);

        for (String name : Stream.concat(BROKEN.stream(), Stream.of(MISSING)).toList()) {
            Row row = rows.get(images.resolve(name).toString());
            assertThat(row.getString(4)).as(name).contains(name);
            assertThat(row.isNullAt(1) && row.isNullAt(2) && row.isNullAt(3)).as(name + " has no scores").isTrue();
        }
        Map<String, float[]> direct = directScores();
        int compared = 0;
        for (Map.Entry<String, float[]> expected : direct.entrySet()) {
            Row row = rows.get(expected.getKey());
            assertThat(row.isNullAt(4)).as(expected.getKey() + " error: " + row.getString(4)).isTrue();
            float[] want = expected.getValue();
            float[] got = floats(row.getList(3));
            assertThat(got).hasSize(CLASSES.size());
            assertThat(maxRelativeDifference(got, want)).as(expected.getKey()).isLessThanOrEqualTo(1e-4);
            List<String> top = row.getList(1);
            assertThat(top).hasSize(5);
            assertThat(top.get(0)).isEqualTo(CLASSES.get(argmax(want)));
            assertThat(floats(row.getList(2))[0]).isEqualTo(got[argmax(got)]);
            compared++;
        }
        assertThat(compared).isEqualTo(GOOD_IMAGES);
        assertThat(ModelCache.size()).as("one model per executor JVM, not one per task").isEqualTo(1);
    }

    @Test
    void rerunningTheJobReplacesItsOutputWithoutDuplicates() throws IOException {
        String out = tmp.resolve("scores-rerun").toString();
        score("--list", list.toString(), "--out", out, "--top", "2", "--partitions", "3");
        long first = spark.read().parquet(out).count();
        List<String> firstFiles = parquetFiles(out);
        score("--list", list.toString(), "--out", out, "--top", "2", "--partitions", "3");
        assertThat(spark.read().parquet(out).count()).isEqualTo(first).isEqualTo(GOOD_IMAGES + BROKEN.size() + 1);
        assertThat(spark.read().parquet(out).select("path").distinct().count()).isEqualTo(first);
        assertThat(parquetFiles(out)).hasSameSizeAs(firstFiles);
    }

    @Test
    void aFolderReadAsBinaryFilesGivesTheSameScoresAsTheList() throws IOException {
        String fromList = tmp.resolve("scores-list-2").toString();
        String fromFolder = tmp.resolve("scores-folder").toString();
        score("--list", list.toString(), "--out", fromList);
        assertThat(score("--images", images.toString(), "--out", fromFolder))
                .contains((GOOD_IMAGES + BROKEN.size()) + " images (" + BROKEN.size() + " unreadable)");
        Map<String, Row> byList = rowsByPath(fromList);
        Map<String, Row> byFolder = rowsByPath(fromFolder);
        assertThat(byFolder).hasSize(GOOD_IMAGES + BROKEN.size());
        for (Map.Entry<String, Row> e : byFolder.entrySet()) {
            Row listed = byList.get(e.getKey());
            assertThat(listed).as(e.getKey() + " named as in the list").isNotNull();
            if (listed.isNullAt(4)) {
                assertThat(maxRelativeDifference(floats(e.getValue().getList(3)), floats(listed.getList(3)))).isLessThanOrEqualTo(1e-4);
            } else {
                assertThat(e.getValue().getString(4)).as(e.getKey()).startsWith(e.getKey() + ": ");
            }
        }
    }

    @Test
    void theReportFromParquetEqualsTheReportFromRepvggBatchScores() throws Exception {
        String out = tmp.resolve("scores-report").toString();
        score("--list", list.toString(), "--out", out);
        ListFile labelled = ListFile.read(list);
        ScoreReport.Result result = ScoreReport.compute(spark, out, labelled, CLASSES);

        ClassificationReport expected = new ClassificationReport(CLASSES);
        Map<String, float[]> direct = directScores();
        for (ListEntry entry : labelled.entries()) {
            float[] scores = direct.get(entry.path().toString());
            if (scores != null) {
                expected.add(entry.label().getAsInt(), scores);
            }
        }
        assertThat(result.report().count()).isEqualTo(GOOD_IMAGES);
        assertThat(result.unreadable()).isEqualTo(BROKEN.size() + 1);
        assertThat(result.notScored()).isZero();
        assertThat(result.report().top1()).isEqualTo(expected.top1());
        assertThat(result.report().top5()).isEqualTo(expected.top5());
        assertThat(result.report().toMarkdown()).isEqualTo(expected.toMarkdown());

        StringWriter printed = new StringWriter();
        int code = new CommandLine(new ScoreReport(spark)).setOut(new PrintWriter(printed))
                .execute("--scores", out, "--list", list.toString(), "--model", model.toString());
        assertThat(code).isZero();
        assertThat(printed.toString()).contains("300 listed images scored, 4 unreadable, 0 not in");
    }

    @Test
    void anOutputFolderHoldingOtherFilesIsNotOverwritten() throws IOException {
        Path precious = Files.createDirectories(tmp.resolve("precious"));
        Files.writeString(precious.resolve("thesis.tex"), "years of work");
        StringWriter err = new StringWriter();
        int code = new CommandLine(new BatchScoring(spark)).setErr(new PrintWriter(err))
                .execute("--model", model.toString(), "--list", list.toString(), "--out", precious.toString());
        assertThat(code).isNotZero();
        assertThat(err.toString()).contains("thesis.tex");
        assertThat(precious.resolve("thesis.tex")).exists();
    }

    // ---- helpers ----

    private static String score(String... args) {
        List<String> all = new ArrayList<>(List.of("--model", model.toString()));
        all.addAll(List.of(args));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new CommandLine(new BatchScoring(spark)).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute(all.toArray(String[]::new));
        assertThat(code).as("exit code; stderr: " + err).isZero();
        return out.toString();
    }

    private static Map<String, Row> rowsByPath(String out) {
        Map<String, Row> rows = new HashMap<>();
        for (Row row : spark.read().parquet(out).collectAsList()) {
            assertThat(rows.put(row.getString(0), row)).as("duplicate row for " + row.getString(0)).isNull();
        }
        return rows;
    }

    private static List<String> parquetFiles(String out) throws IOException {
        try (Stream<Path> files = Files.list(Path.of(out))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".parquet")).toList();
        }
    }

    /** Softmax scores per readable image, one image at a time, straight from the core classes. */
    /**
     * The scores {@code repvgg batch} gives for the readable listed images (its default engine, ONNX
     * Runtime), keyed by the list's path text; the Spark job must reproduce them.
     */
    private static Map<String, float[]> directScores() throws Exception {
        Path out = Files.createTempDirectory("repvgg-batch-reference");
        try (Classifier classifier = Classifier.open(model, Classifier.Options.of(Engine.DEFAULT))) {
            new BatchInference(classifier, new BatchInference.Options(16, 2, 5))
                    .run(BatchInference.shards(List.of(list)), out, (written, total, errors) -> { });
        }
        Map<String, float[]> byResolvedPath = new HashMap<>();
        BatchResults.open(out).forEachRow(row -> {
            if (row.scores() != null) {
                byResolvedPath.put(row.path(), row.scores());
            }
        });
        Map<String, float[]> scores = new HashMap<>();
        for (ListEntry entry : ListFile.read(list).entries()) {
            float[] s = byResolvedPath.get(entry.path().toAbsolutePath().normalize().toString());
            if (s != null) {
                scores.put(entry.path().toString(), s);
            }
        }
        return scores;
    }

    /** Largest element difference relative to the larger vector's largest magnitude. */
    private static double maxRelativeDifference(float[] got, float[] want) {
        double scale = 0;
        double diff = 0;
        for (int i = 0; i < want.length; i++) {
            scale = Math.max(scale, Math.max(Math.abs(want[i]), Math.abs(got[i])));
            diff = Math.max(diff, Math.abs(got[i] - want[i]));
        }
        return diff / Math.max(scale, 1e-12);
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    private static float[] floats(List<Float> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    private static Path writeTinyModel(Path dir) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            RepVgg net = new RepVgg(TINY, Form.TRAIN, CLASSES.size());
            net.initialize(manager, 32);
            // Random BN statistics so the network is not near-identity and the classes differ.
            EquivalenceCheck.randomizeBatchNorms(NetworkWeights.of(net), 7);
            ModelConfig config = new ModelConfig(TINY, Form.TRAIN, CLASSES, Preprocessing.imagenet(32),
                    Map.of("created_by", "BatchScoringTest"));
            ModelDirectory.write(dir, config, NetworkWeights.of(net));
        }
        return dir;
    }

    /**
     * 300 small noise pictures (PNG and JPEG, 32x32 and 40x32 so the resize and crop do work) in
     * class folders, three broken files, and a labelled list naming all of them plus one missing file.
     */
    private static Path writeImages(Path folder) throws IOException {
        Random random = new Random(42);
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < GOOD_IMAGES; i++) {
            int label = i % CLASSES.size();
            BufferedImage image = new BufferedImage(i % 2 == 0 ? 32 : 40, 32, BufferedImage.TYPE_INT_RGB);
            int tint = random.nextInt(0xFFFFFF);
            for (int y = 0; y < image.getHeight(); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    image.setRGB(x, y, random.nextInt(0x1000000) & 0x7F7F7F | tint & 0x808080);
                }
            }
            String format = i % 3 == 0 ? "jpeg" : "png";
            String name = CLASSES.get(label) + "/img " + i + (format.equals("jpeg") ? ".jpg" : ".png");
            Path file = folder.resolve(name);
            Files.createDirectories(file.getParent());
            ImageIO.write(image, format, file.toFile());
            lines.append(name).append(' ').append(label).append('\n');
        }
        Path broken = Files.createDirectories(folder.resolve("broken"));
        Files.createFile(broken.resolve("empty.jpg"));
        byte[] jpeg = Files.readAllBytes(folder.resolve(CLASSES.get(0) + "/img 0.jpg"));
        Files.write(broken.resolve("truncated.jpg"), java.util.Arrays.copyOf(jpeg, jpeg.length / 2));
        Files.writeString(broken.resolve("notes.png"), "not a picture");
        for (String name : Stream.concat(BROKEN.stream(), Stream.of(MISSING)).toList()) {
            lines.append(name).append(" 0\n");
        }
        Path listFile = folder.resolve("all.txt");
        Files.writeString(listFile, lines);
        return listFile;
    }
}
