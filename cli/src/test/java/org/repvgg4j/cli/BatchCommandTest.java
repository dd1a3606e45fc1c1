package org.repvgg4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.repvgg4j.cli.CommandsTest.repvgg;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repvgg4j.eval.Csv;
import org.repvgg4j.infer.Scores;
import org.repvgg4j.io.Npy;

/** {@code repvgg batch} and {@code repvgg report} as a user runs them, including a kill -9 in the middle. */
class BatchCommandTest {

    private static final String TINY = "depths=1,1,1,1;widths=0.125,0.125,0.125,0.25";

    @TempDir
    Path tmp;

    private Path model(String size) {
        Path model = tmp.resolve("model");
        CommandsTest.Run init = repvgg("init", "--arch", TINY, "--classes", "2", "--image-size", size, "--out",
                model.toString());
        assertThat(init.exit()).as(init.err()).isZero();
        return model;
    }

    /** {@code shards} unlabelled lists of {@code perShard} stripe PNGs each, absolute paths; returns all images in order. */
    private List<String> lists(Path dir, int shards, int perShard) throws Exception {
        Path images = StripeImages.write(tmp.resolve("stripes"), shards * perShard / 2, 1);
        List<String> all;
        try (Stream<Path> files = Files.walk(images)) {
            all = files.filter(p -> p.toString().endsWith(".png")).map(p -> p.toAbsolutePath().toString()).sorted().toList();
        }
        Files.createDirectories(dir);
        for (int s = 0; s < shards; s++) {
            Files.write(dir.resolve("shard-" + s + ".txt"), all.subList(s * perShard, (s + 1) * perShard));
        }
        return all;
    }

    private static List<List<String>> rows(Path csv) throws Exception {
        return Files.readAllLines(csv).stream().skip(1).map(Csv::split).toList();
    }

    /** kill -9 in the middle of the second shard, run the same command again, and check every row. */
    @Test
    void aKilledRunFinishesWhenRunAgainWithEveryImageExactlyOnce() throws Exception {
        int shards = 4;
        int perShard = 400;
        Path lists = tmp.resolve("lists");
        List<String> images = lists(lists, shards, perShard);
        Path model = model("64");
        String[] args = {"batch", "--model", model.toString(), "--lists", lists.toString(), "--batch-size", "1",
            "--workers", "1", "--engine", "pytorch"};

        Path reference = tmp.resolve("reference");
        CommandsTest.Run whole = repvgg(Stream.concat(Stream.of(args), Stream.of("--out", reference.toString()))
                .toArray(String[]::new));
        assertThat(whole.exit()).as(whole.err()).isZero();

        Path out = tmp.resolve("killed");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), RepVggCommand.class.getName()));
        command.addAll(List.of(args));
        command.addAll(List.of("--out", out.toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("killed.log").toFile()).start();
        Path secondShard = out.resolve("shard-1.part.csv");
        try {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (System.nanoTime() < deadline && process.isAlive()
                    && !(Files.exists(secondShard) && Files.size(secondShard) > 2_000)) {
                Thread.sleep(2);
            }
            assertThat(process.isAlive()).as("the run should still be going: " + Files.readString(tmp.resolve("killed.log")))
                    .isTrue();
        } finally {
            process.destroyForcibly().waitFor();
        }
        assertThat(out.resolve("shard-0.csv")).exists();
        assertThat(out.resolve("shard-1.csv")).doesNotExist();
        assertThat(out.resolve("shard-3.csv")).doesNotExist();

        CommandsTest.Run resumed = repvgg(Stream.concat(Stream.of(args), Stream.of("--out", out.toString()))
                .toArray(String[]::new));
        assertThat(resumed.exit()).as(resumed.err()).isZero();
        assertThat(resumed.out()).contains("1 already finished").contains("continued after");

        Set<String> seen = new HashSet<>();
        for (int s = 0; s < shards; s++) {
            List<List<String>> rows = rows(out.resolve("shard-" + s + ".csv"));
            float[] scores = Npy.read(out.resolve("shard-" + s + ".npy")).toFloats();
            float[] expected = Npy.read(reference.resolve("shard-" + s + ".npy")).toFloats();
            assertThat(rows).hasSize(perShard);
            assertThat(scores).hasSize(perShard * 2).containsExactly(expected, Offset.offset(1e-6f));
            for (int r = 0; r < perShard; r++) {
                List<String> row = rows.get(r);
                assertThat(row.get(0)).isEqualTo(images.get(s * perShard + r));
                assertThat(seen.add(row.get(0))).as("duplicate row " + row.get(0)).isTrue();
                float[] p = {scores[2 * r], scores[2 * r + 1]};
                assertThat(row.get(1)).isEqualTo("class_" + Scores.argmax(p));
                assertThat(Float.parseFloat(row.get(2))).isCloseTo(p[Scores.argmax(p)], Offset.offset(1e-6f));
                assertThat(row.get(row.size() - 1)).isEmpty();
            }
        }
        assertThat(seen).hasSize(images.size());
    }

    @Test
    void reportOnSavedResultsGivesTheNumbersEvalGives() throws Exception {
        Path images = StripeImages.write(tmp.resolve("stripes"), 20, 3);
        Path data = tmp.resolve("split");
        assertThat(repvgg("split", "--input", images.toString(), "--out", data.toString()).exit()).isZero();
        Path model = tmp.resolve("model");
        assertThat(repvgg("init", "--arch", TINY, "--classes", data.resolve("annotations.txt").toString(),
                "--image-size", "16", "--out", model.toString()).exit()).isZero();
        Path val = data.resolve("val.txt");

        CommandsTest.Run eval = repvgg("eval", "--model", model.toString(), "--list", val.toString(), "--json");
        assertThat(eval.exit()).as(eval.err()).isZero();
        Path results = tmp.resolve("results");
        CommandsTest.Run batch = repvgg("batch", "--model", model.toString(), "--lists", val.toString(),
                "--out", results.toString(), "--batch-size", "3", "--json");
        assertThat(batch.exit()).as(batch.err()).isZero();
        assertThat(JsonParser.parseString(batch.out().strip()).getAsJsonObject().get("rows").getAsInt()).isEqualTo(8);
        Path reportDir = tmp.resolve("report");
        CommandsTest.Run report = repvgg("report", "--results", results.toString(), "--labels", val.toString(),
                "--classes", data.resolve("annotations.txt").toString(), "--json", "--out", reportDir.toString());
        assertThat(report.exit()).as(report.err()).isZero();

        JsonObject a = JsonParser.parseString(eval.out().strip()).getAsJsonObject();
        JsonObject b = JsonParser.parseString(report.out().strip()).getAsJsonObject();
        assertThat(b.get("images").getAsInt()).isEqualTo(8);
        assertThat(b.get("top1")).isEqualTo(a.get("top1"));
        assertThat(b.get("top5")).isEqualTo(a.get("top5"));
        assertThat(b.get("per_class")).isEqualTo(a.get("per_class"));
        assertThat(b.get("macro_avg")).isEqualTo(a.get("macro_avg"));
        assertThat(reportDir.resolve("confusion.png")).exists();
        assertThat(Files.readAllLines(reportDir.resolve("predictions.csv"))).hasSize(9);
    }

    @Test
    void reportRefusesAClassFileThatDiffersFromTheResults() throws Exception {
        Path lists = tmp.resolve("lists");
        lists(lists, 1, 4);
        Path results = tmp.resolve("results");
        assertThat(repvgg("batch", "--model", model("16").toString(), "--lists", lists.toString(), "--out",
                results.toString()).exit()).isZero();
        Path classes = Files.writeString(tmp.resolve("annotations.txt"), "cat 0\ndog 1\n");
        CommandsTest.Run report = repvgg("report", "--results", results.toString(), "--labels",
                lists.resolve("shard-0.txt").toString(), "--classes", classes.toString());
        assertThat(report.exit()).isEqualTo(1);
        assertThat(report.err()).contains("annotations.txt names [cat, dog]").contains("[class_0, class_1]");
    }

    private static String torchscript(String name) {
        Path file = Path.of("..", "core", "src", "test", "resources", "torchscript", name).toAbsolutePath().normalize();
        assertThat(file).as("fixture (run tools/torchscript_fixture.py)").exists();
        return file.toString();
    }

    @Test
    void aTorchScriptFileWorksAsModelForPredictAndBatch() throws Exception {
        Path logits = tmp.resolve("logits.npy");
        CommandsTest.Run predict = repvgg("predict", "--model", torchscript("repvgg_deploy.pt"), "--classes",
                torchscript("classes.txt"), "--image-size", "32", "--tensor", torchscript("input.npy"),
                "--save-logits", logits.toString());
        assertThat(predict.exit()).as(predict.err()).isZero();
        assertThat(predict.out()).contains("circle").contains("triangle");
        float[] ours = Npy.read(logits).toFloats();
        float[] pytorch = Npy.read(Path.of(torchscript("logits.npy"))).toFloats();
        assertThat(ours).containsExactly(pytorch, Offset.offset(1e-4f));

        // The same weights as a model directory must score images as the TorchScript file does.
        Path imported = tmp.resolve("imported");
        CommandsTest.Run importing = repvgg("import", "--weights", torchscript("repvgg_deploy.safetensors"), "--out",
                imported.toString(), "--classes", torchscript("classes.txt"), "--image-size", "32", "--keep-head");
        assertThat(importing.exit()).as(importing.err()).isZero();
        Path lists = tmp.resolve("lists");
        lists(lists, 1, 6);
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        CommandsTest.Run fromScript = repvgg("batch", "--model", torchscript("repvgg_deploy.pt"), "--classes",
                torchscript("classes.txt"), "--image-size", "32", "--lists", lists.toString(), "--out", a.toString());
        assertThat(fromScript.exit()).as(fromScript.err()).isZero();
        assertThat(repvgg("batch", "--model", imported.toString(), "--lists", lists.toString(), "--out",
                b.toString()).exit()).isZero();
        assertThat(Npy.read(a.resolve("shard-0.npy")).toFloats())
                .containsExactly(Npy.read(b.resolve("shard-0.npy")).toFloats(), Offset.offset(1e-5f));
        assertThat(rows(a.resolve("shard-0.csv")).get(0).get(1)).isIn("circle", "square", "triangle");
    }

    @Test
    void aTorchScriptFileWithoutClassNamesIsRefused() {
        CommandsTest.Run run = repvgg("predict", "--model", torchscript("repvgg_deploy.pt"), "--tensor",
                torchscript("input.npy"));
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("repvgg_deploy.pt: a TorchScript file has no class names; give --classes");
    }

    /** What is in {@code folder}, recursively, as relative paths. */
    private static List<String> contents(Path folder) throws Exception {
        try (Stream<Path> files = Files.walk(folder)) {
            return files.map(p -> folder.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void aFolderOfImagesIsScoredAsOneUnlabelledListNamedAfterIt() throws Exception {
        Path photos = StripeImages.write(tmp.resolve("photos"), 3, 2);
        Files.writeString(photos.resolve("notes.txt"), "not an image\n");
        Files.writeString(photos.resolve("horizontal").resolve("broken.jpg"), "not a JPEG either\n");
        Files.createDirectories(photos.resolve(".thumbnails"));
        Files.copy(photos.resolve("vertical").resolve("000.png"), photos.resolve(".thumbnails").resolve("000.png"));
        List<String> before = contents(photos);
        // the images by extension, hidden ones left out, in path order
        List<String> expected = List.of("horizontal/000.png", "horizontal/001.png", "horizontal/002.png",
                "horizontal/broken.jpg", "vertical/000.png", "vertical/001.png", "vertical/002.png").stream()
                .map(name -> photos.resolve(name).toString()).toList();
        Path model = model("16");

        Path out = tmp.resolve("from-folder");
        CommandsTest.Run run = repvgg("batch", "--model", model.toString(), "--images", photos.toString(),
                "--out", out.toString(), "--batch-size", "2", "--engine", "pytorch", "--json");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonObject summary = JsonParser.parseString(run.out().strip()).getAsJsonObject();
        assertThat(summary.get("rows").getAsInt()).isEqualTo(7);
        assertThat(summary.get("errors").getAsInt()).isEqualTo(1);
        assertThat(contents(photos)).as("nothing written into the user's folder").isEqualTo(before);
        List<List<String>> rows = rows(out.resolve("photos.csv"));
        assertThat(rows.stream().map(row -> row.get(0)).toList()).isEqualTo(expected);
        assertThat(rows.get(3).get(rows.get(3).size() - 1)).contains("broken.jpg");

        // the same as a list file of the same images
        Path list = Files.write(tmp.resolve("photos.txt"), expected);
        Path fromList = tmp.resolve("from-list");
        assertThat(repvgg("batch", "--model", model.toString(), "--list", list.toString(), "--out", fromList.toString(),
                "--batch-size", "2", "--engine", "pytorch").exit()).isZero();
        assertThat(Files.readAllLines(out.resolve("photos.csv")))
                .isEqualTo(Files.readAllLines(fromList.resolve("photos.csv")));
        float[] a = Npy.read(out.resolve("photos.npy")).toFloats();
        float[] b = Npy.read(fromList.resolve("photos.npy")).toFloats();
        assertThat(a).hasSize(14).usingElementComparator(Float::compare).containsExactly(b);

        // run again: the shard is finished and skipped
        CommandsTest.Run again = repvgg("batch", "--model", model.toString(), "--images", photos.toString(),
                "--out", out.toString(), "--engine", "pytorch", "--json");
        assertThat(again.exit()).as(again.err()).isZero();
        assertThat(JsonParser.parseString(again.out().strip()).getAsJsonObject().get("shards_skipped").getAsInt())
                .isEqualTo(1);
    }

    @Test
    void aFolderWithoutImagesIsRefused() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Files.writeString(empty.resolve("readme.txt"), "no images here\n");
        CommandsTest.Run run = repvgg("batch", "--model", model("16").toString(), "--images", empty.toString(),
                "--out", tmp.resolve("out").toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains(empty + ": no images (bmp, gif, jpeg, jpg, png, webp)");
    }

    @Test
    void batchProgressInALogIsAFewPlainLinesAndQuietIsNone() throws Exception {
        Path lists = tmp.resolve("lists");
        lists(lists, 1, 40);
        Path model = model("16");
        CommandsTest.Run run = repvgg("batch", "--model", model.toString(), "--list", lists.toString(),
                "--out", tmp.resolve("a").toString(), "--batch-size", "1", "--engine", "pytorch");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.err()).doesNotContain("\r");
        List<String> progress = run.err().lines().filter(line -> line.startsWith("batch ")).toList();
        assertThat(progress).hasSizeBetween(1, ProgressLine.LINES_PER_LOOP);
        assertThat(progress.get(progress.size() - 1)).startsWith("batch 40/40 (100%)");

        CommandsTest.Run quiet = repvgg("batch", "--model", model.toString(), "--list", lists.toString(),
                "--out", tmp.resolve("b").toString(), "--engine", "pytorch", "--quiet");
        assertThat(quiet.exit()).as(quiet.err()).isZero();
        assertThat(quiet.err()).doesNotContain("batch ");
        assertThat(quiet.out()).contains("40 image(s)");
    }
}
