package org.repvgg4j.infer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repvgg4j.eval.Csv;
import org.repvgg4j.io.Npy;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.reparam.EquivalenceCheck;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.ModelDirectory;
import org.repvgg4j.weights.NetworkWeights;
import org.repvgg4j.weights.Preprocessing;

class BatchInferenceTest {

    private static final RepVggSpec TINY = RepVggSpec.parse("depths=1,1,1,1;widths=0.125,0.125,0.125,0.25");
    private static final List<String> CLASSES = List.of("cat", "dog", "hot dog");

    @TempDir
    Path tmp;

    /** A train-form model with random weights and BN statistics, so the ONNX route must convert it. */
    private Path model() throws IOException {
        Path dir = tmp.resolve("model");
        try (NDManager manager = NDManager.newBaseManager()) {
            RepVgg net = new RepVgg(TINY, Form.TRAIN, CLASSES.size());
            net.initialize(manager, 32);
            EquivalenceCheck.randomizeBatchNorms(NetworkWeights.of(net), 5);
            ModelDirectory.write(dir, new ModelConfig(TINY, Form.TRAIN, CLASSES, Preprocessing.imagenet(32), Map.of()),
                    NetworkWeights.of(net));
        }
        return dir;
    }

    private static BufferedImage noise(int w, int h, int type, long seed) {
        Random random = new Random(seed);
        BufferedImage image = new BufferedImage(w, h, type);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                // Smooth bands plus noise: photo-like enough for JPEG, different per seed.
                int r = (int) (127 + 100 * Math.sin((x + seed * 7) / 9.0)) + random.nextInt(20);
                int g = (int) (127 + 100 * Math.cos((y + seed * 3) / 7.0)) + random.nextInt(20);
                int b = (x * y + (int) seed * 31) % 256;
                image.setRGB(x, y, new Color(Math.min(r, 255), Math.min(g, 255), b, 128 + (x % 128)).getRGB());
            }
        }
        return image;
    }

    private static Path write(BufferedImage image, String format, Path file) throws IOException {
        Files.createDirectories(file.getParent());
        if (!ImageIO.write(image, format, file.toFile())) {
            throw new IllegalStateException("no writer for " + format);
        }
        return file;
    }

    private static Path resource(String name) {
        return Path.of("src/test/resources/images", name).toAbsolutePath();
    }

    private static Path list(Path file, List<Path> images) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, images.stream().map(p -> p.toAbsolutePath().toString()).toList());
        return file;
    }

    private static List<List<String>> rows(Path csv) throws IOException {
        return Files.readAllLines(csv).stream().skip(1).map(Csv::split).toList();
    }

    private static float[] scores(Path npy) throws IOException {
        return Npy.read(npy).toFloats();
    }

    private static BatchInference.Summary run(Path model, Engine engine, List<Path> lists, Path out, int batch)
            throws Exception {
        try (Classifier classifier = Classifier.open(model, Classifier.Options.of(engine))) {
            return new BatchInference(classifier, new BatchInference.Options(batch, 2, 2))
                    .run(BatchInference.shards(lists), out, (written, total, errors) -> { });
        }
    }

    @Test
    void mixedFolderScoresEveryValidFileAndGivesEveryBrokenOneAnErrorRow() throws Exception {
        Path dir = tmp.resolve("mixed");
        Path photo = write(noise(500, 375, BufferedImage.TYPE_INT_RGB, 1), "jpeg", dir.resolve("photo.jpg"));
        List<Path> valid = new ArrayList<>(List.of(
                photo,
                write(noise(40, 30, BufferedImage.TYPE_INT_ARGB, 2), "png", dir.resolve("alpha.png")),
                write(noise(64, 48, BufferedImage.TYPE_BYTE_GRAY, 3), "jpeg", dir.resolve("gray.jpg")),
                Files.copy(resource("cmyk.jpg"), dir.resolve("cmyk.jpg")),
                Files.copy(resource("gray16.png"), dir.resolve("gray16.png")),
                Files.copy(resource("lossless.webp"), dir.resolve("lossless.webp")),
                write(noise(4000, 3000, BufferedImage.TYPE_INT_RGB, 4), "jpeg", dir.resolve("large.jpg"))));
        BufferedImage palette = new BufferedImage(30, 20, BufferedImage.TYPE_BYTE_INDEXED,
                new IndexColorModel(2, 4, new byte[] {0, (byte) 255, 0, 90}, new byte[] {0, 0, (byte) 255, 90},
                        new byte[] {0, 0, 0, (byte) 200}));
        palette.getGraphics().fillRect(5, 5, 10, 10);
        valid.add(write(palette, "gif", dir.resolve("palette.gif")));

        byte[] jpeg = Files.readAllBytes(photo);
        List<Path> broken = List.of(
                Files.write(dir.resolve("empty.jpg"), new byte[0]),
                Files.write(dir.resolve("truncated.jpg"), java.util.Arrays.copyOf(jpeg, jpeg.length / 2)),
                Files.writeString(dir.resolve("notes.jpg"), "not an image, just text\n"),
                dir.resolve("missing.png"));
        List<Path> all = new ArrayList<>(valid);
        all.addAll(1, broken); // errors in the middle of the list, not only at the end
        Path out = tmp.resolve("out");

        BatchInference.Summary summary = run(model(), Engine.PYTORCH, List.of(list(tmp.resolve("mixed.txt"), all)), out, 3);

        assertThat(summary.rows()).isEqualTo(all.size());
        assertThat(summary.errors()).isEqualTo(broken.size());
        List<List<String>> rows = rows(out.resolve("mixed.csv"));
        float[] s = scores(out.resolve("mixed.npy"));
        assertThat(rows).hasSize(all.size());
        for (int i = 0; i < all.size(); i++) {
            List<String> row = rows.get(i);
            Path image = all.get(i);
            assertThat(row.get(0)).isEqualTo(image.toAbsolutePath().normalize().toString());
            String error = row.get(row.size() - 1);
            if (broken.contains(image)) {
                assertThat(error).as(image.toString()).contains(image.getFileName().toString());
                for (int c = 0; c < 3; c++) {
                    assertThat(s[i * 3 + c]).as("row %d is NaN", i).isNaN();
                }
            } else {
                assertThat(error).as(image + ": " + error).isEmpty();
                float sum = s[i * 3] + s[i * 3 + 1] + s[i * 3 + 2];
                assertThat(sum).as(image.toString()).isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-5f));
                int best = Scores.argmax(new float[] {s[i * 3], s[i * 3 + 1], s[i * 3 + 2]});
                assertThat(row.get(1)).isEqualTo(CLASSES.get(best));
                assertThat(Double.parseDouble(row.get(2))).isCloseTo(s[i * 3 + best], org.assertj.core.data.Offset.offset(1e-6));
            }
        }
        assertThat(rows.get(2).get(rows.get(2).size() - 1)).contains("damaged image");
        assertThat(rows.get(1).get(rows.get(1).size() - 1)).contains("empty file");
    }

    private List<Path> shardLists(int shards, int perShard) throws IOException {
        List<Path> lists = new ArrayList<>();
        for (int s = 0; s < shards; s++) {
            List<Path> images = new ArrayList<>();
            for (int i = 0; i < perShard; i++) {
                images.add(write(noise(24 + i % 5, 20, BufferedImage.TYPE_INT_RGB, s * 1000L + i), "png",
                        tmp.resolve("img/s" + s + "/" + i + ".png")));
            }
            lists.add(list(tmp.resolve("lists/part-" + s + ".txt"), images));
        }
        return lists;
    }

    @Test
    void anInterruptedRunContinuesAfterItsLastCompleteRowAndEndsAsAnUninterruptedOne() throws Exception {
        Path model = model();
        List<Path> lists = shardLists(3, 20);
        Path reference = tmp.resolve("reference");
        run(model, Engine.PYTORCH, List.of(tmp.resolve("lists")), reference, 4);

        // The state a kill leaves: part-0 finished, part-1 with 7 rows and half of the 8th written
        // (its .npy already holds more rows than the CSV announces), part-2 not started.
        Path out = tmp.resolve("interrupted");
        run(model, Engine.PYTORCH, List.of(tmp.resolve("lists")), out, 4);
        Path part = out.resolve("part-1.part.csv");
        Files.move(out.resolve("part-1.csv"), part);
        List<String> lines = Files.readAllLines(part);
        String torn = String.join("\n", lines.subList(0, 8)) + "\n" + lines.get(8).substring(0, 15);
        Files.writeString(part, torn);
        Files.delete(out.resolve("part-2.csv"));
        Files.delete(out.resolve("part-2.npy"));

        BatchInference.Summary resumed = run(model, Engine.PYTORCH, List.of(tmp.resolve("lists")), out, 4);

        assertThat(resumed.shardsSkipped()).isEqualTo(1);
        assertThat(resumed.shardsScored()).isEqualTo(2);
        assertThat(resumed.resumedRows()).isEqualTo(7);
        assertThat(resumed.rows()).isEqualTo(13 + 20);
        for (int s = 0; s < 3; s++) {
            // Batches fall differently after a resume, and oneDNN's sums may differ in the last bit.
            List<List<String>> got = rows(out.resolve("part-" + s + ".csv"));
            List<List<String>> want = rows(reference.resolve("part-" + s + ".csv"));
            assertThat(got).hasSameSizeAs(want);
            for (int r = 0; r < want.size(); r++) {
                assertThat(got.get(r).get(0)).isEqualTo(want.get(r).get(0));
                assertThat(got.get(r).get(1)).isEqualTo(want.get(r).get(1));
            }
            assertThat(scores(out.resolve("part-" + s + ".npy")))
                    .containsExactly(scores(reference.resolve("part-" + s + ".npy")), org.assertj.core.data.Offset.offset(1e-6f));
            assertThat(out.resolve("part-" + s + ".part.csv")).doesNotExist();
        }
        BatchInference.Summary again = run(model, Engine.PYTORCH, lists, out, 4);
        assertThat(again.rows()).isZero();
        assertThat(again.shardsSkipped()).isEqualTo(3);
    }

    @Test
    void aListThatChangedUnderAnUnfinishedShardIsRefusedNamingThePartFile() throws Exception {
        Path model = model();
        List<Path> lists = shardLists(1, 6);
        Path out = tmp.resolve("out");
        run(model, Engine.PYTORCH, lists, out, 2);
        Files.move(out.resolve("part-0.csv"), out.resolve("part-0.part.csv"));
        List<String> entries = new ArrayList<>(Files.readAllLines(lists.get(0)));
        java.util.Collections.swap(entries, 4, 5);
        Files.write(lists.get(0), entries);

        assertThatThrownBy(() -> run(model, Engine.PYTORCH, lists, out, 2))
                .hasMessageContaining("results 'part-0' were started from another version of " + lists.get(0))
                .hasMessageContaining("--restart");
    }

    @Test
    void onnxRuntimeAndPyTorchGiveTheSameScores() throws Exception {
        Path model = model();
        List<Path> lists = shardLists(1, 12);
        run(model, Engine.PYTORCH, lists, tmp.resolve("pt"), 5);
        run(model, Engine.ONNXRUNTIME, lists, tmp.resolve("ort"), 5);
        float[] a = scores(tmp.resolve("pt/part-0.npy"));
        float[] b = scores(tmp.resolve("ort/part-0.npy"));
        assertThat(a).hasSize(36);
        for (int i = 0; i < a.length; i++) {
            assertThat(Math.abs(a[i] - b[i])).as("score %d", i).isLessThanOrEqualTo(1e-4f * Math.max(1f, Math.abs(a[i])));
        }
    }

    @Test
    void resultsReadBackRowForRowWithTheirScores() throws Exception {
        Path model = model();
        List<Path> lists = shardLists(2, 5);
        Path out = tmp.resolve("out");
        run(model, Engine.PYTORCH, lists, out, 2);
        BatchResults results = BatchResults.open(out);
        assertThat(results.classes()).isEqualTo(CLASSES);
        assertThat(results.shards()).containsExactly("part-0", "part-1");
        List<BatchResults.Row> rows = new ArrayList<>();
        results.forEachRow(rows::add);
        assertThat(rows).hasSize(10);
        float[] first = scores(out.resolve("part-0.npy"));
        assertThat(rows.get(0).scores()).containsExactly(java.util.Arrays.copyOf(first, 3));
        assertThat(rows.get(9).path()).endsWith("s1/4.png");
    }

    @Test
    void aTruncatedNpyIsReportedWhenResultsAreRead() throws Exception {
        Path model = model();
        Path out = tmp.resolve("out");
        run(model, Engine.PYTORCH, shardLists(1, 4), out, 2);
        try (FileChannel c = FileChannel.open(out.resolve("part-0.npy"), StandardOpenOption.WRITE)) {
            c.truncate(c.size() - 4);
        }
        assertThatThrownBy(() -> BatchResults.open(out).forEachRow(r -> { }))
                .hasMessageContaining("part-0.npy").hasMessageContaining("truncated");
        assertThat(Files.readString(out.resolve("batch.json"), StandardCharsets.UTF_8)).contains("\"top_k\": 2");
    }
}
