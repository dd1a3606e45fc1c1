package org.repvgg4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.repvgg4j.cli.CommandsTest.repvgg;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repvgg4j.io.FolderLock;

/**
 * {@code repvgg batch} never mixes or doubles results: one run per output folder (two real JVMs), and a
 * continued run with another model or an edited list is refused until {@code --restart}.
 */
class BatchIntegrityTest {

    private static final String TINY = "depths=1,1,1,1;widths=0.125,0.125,0.125,0.25";

    @TempDir
    Path tmp;

    private Path model(String name, long seed) {
        return model(name, seed, 32);
    }

    private Path model(String name, long seed, int size) {
        Path model = tmp.resolve(name);
        CommandsTest.Run init = repvgg("init", "--arch", TINY, "--classes", "2", "--image-size", String.valueOf(size),
                "--seed", String.valueOf(seed), "--out", model.toString());
        assertThat(init.exit()).as(init.err()).isZero();
        return model;
    }

    /** One unlabelled list of {@code n} stripe PNGs (absolute paths). */
    private Path list(int n) throws Exception {
        Path images = StripeImages.write(tmp.resolve("stripes"), n / 2, 1);
        List<String> all;
        try (Stream<Path> files = Files.walk(images)) {
            all = files.filter(p -> p.toString().endsWith(".png")).map(p -> p.toAbsolutePath().toString()).sorted().toList();
        }
        Path list = tmp.resolve("images.txt");
        Files.write(list, all);
        return list;
    }

    private static Process startRepvgg(Path log, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), RepVggCommand.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static long rows(Path csv) throws Exception {
        return Files.readAllLines(csv).size() - 1;
    }

    @Test
    void aSecondBatchIntoTheSameFolderIsRefusedWhileTheFirstRunsAndAKilledRunContinuesOnlyWithItsModel() throws Exception {
        Path list = list(2000);
        Path model = model("model", 0, 96);
        Path out = tmp.resolve("out");
        String[] args = {"batch", "--model", model.toString(), "--list", list.toString(), "--batch-size", "1",
            "--workers", "1", "--engine", "pytorch", "--out", out.toString()};
        Process first = startRepvgg(tmp.resolve("first.log"), args);
        try {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            Path part = out.resolve("images.part.csv");
            while (System.nanoTime() < deadline && first.isAlive()
                    && !(Files.exists(part) && Files.size(part) > 200)) {
                Thread.sleep(20);
            }
            assertThat(first.isAlive()).as("the first run should still be going: "
                    + Files.readString(tmp.resolve("first.log"))).isTrue();

            assertThat(out.resolve("images.npy")).as("only a finished shard has its .npy").doesNotExist();
            assertThat(out.resolve("images.part.npy")).exists();

            CommandsTest.Run second = repvgg(args);
            assertThat(second.exit()).isEqualTo(1);
            assertThat(second.err().strip().lines()).hasSize(1);
            assertThat(second.err()).contains(out.toString(), "in use by another run",
                    "pid " + first.pid(), "repvgg batch");
        } finally {
            first.destroyForcibly().waitFor();
        }
        long before = rows(out.resolve("images.part.csv"));
        assertThat(before).as("killed in the middle").isBetween(1L, 1999L);
        // Continuing the killed run with another model (same size, other weights) is refused, not mixed.
        Path other = model("other", 7, 96);
        String[] withOther = args.clone();
        withOther[2] = other.toString();
        CommandsTest.Run mixed = repvgg(withOther);
        assertThat(mixed.exit()).isEqualTo(1);
        assertThat(mixed.err()).contains("scored with another model weights");
        assertThat(rows(out.resolve("images.part.csv"))).isEqualTo(before);

        // The OS dropped the killed run's lock: the same command now finishes the shard, each row once.
        CommandsTest.Run again = repvgg(args);
        assertThat(again.exit()).as(again.err()).isZero();
        assertThat(rows(out.resolve("images.csv"))).isEqualTo(2000);
        assertThat(Files.readString(out.resolve(FolderLock.FILE))).as("emptied at the end").isEmpty();
    }

    @Test
    void splitAndTrainRefuseAFolderAnotherRunHolds() throws Exception {
        Path images = StripeImages.write(tmp.resolve("stripes"), 4, 1);
        Path busy = tmp.resolve("busy");
        try (FolderLock held = FolderLock.acquire(busy, "a test")) {
            CommandsTest.Run split = repvgg("split", "--input", images.toString(), "--out", busy.toString());
            assertThat(split.exit()).isEqualTo(1);
            assertThat(split.err()).contains(busy + " is in use by another run (pid " + ProcessHandle.current().pid()
                    + ", a test");

            CommandsTest.Run free = repvgg("split", "--input", images.toString(), "--out", tmp.resolve("data").toString());
            assertThat(free.exit()).as(free.err()).isZero();
            Path data = tmp.resolve("data");
            CommandsTest.Run train = repvgg("train", "--train", data.resolve("train.txt").toString(), "--val",
                    data.resolve("val.txt").toString(), "--classes", data.resolve("annotations.txt").toString(), "--arch",
                    TINY, "--image-size", "16", "--epochs", "1", "--batch-size", "2", "--out", busy.toString());
            assertThat(train.exit()).isEqualTo(1);
            assertThat(train.err()).contains(busy + " is in use by another run");
            assertThat(busy.resolve("run.json")).doesNotExist();
        }
    }

    /** The state a kill -9 leaves: the first {@code keep} rows in the part file, no finished CSV. */
    private static void interrupt(Path out, String shard, int keep) throws Exception {
        Path csv = out.resolve(shard + ".csv");
        List<String> lines = Files.readAllLines(csv);
        Files.write(out.resolve(shard + ".part.csv"), lines.subList(0, keep + 1));
        Files.delete(csv);
    }

    @Test
    void continuingWithAnotherModelIsRefusedUntilRestart() throws Exception {
        Path list = list(40);
        Path a = model("a", 1);
        Path b = model("b", 2);
        Path out = tmp.resolve("out");
        CommandsTest.Run first = repvgg("batch", "--model", a.toString(), "--list", list.toString(), "--out", out.toString());
        assertThat(first.exit()).as(first.err()).isZero();
        interrupt(out, "images", 16);

        CommandsTest.Run other = repvgg("batch", "--model", b.toString(), "--list", list.toString(), "--out", out.toString());
        assertThat(other.exit()).isEqualTo(1);
        assertThat(other.err().strip().lines()).hasSize(1);
        assertThat(other.err()).contains("results 'images' were scored with another model weights", "--restart");
        assertThat(out.resolve("images.part.csv")).as("left as it was").exists();
        assertThat(rows(out.resolve("images.part.csv"))).isEqualTo(16);

        // A finished shard is not silently skipped under another model either.
        CommandsTest.Run finishA = repvgg("batch", "--model", a.toString(), "--list", list.toString(), "--out", out.toString());
        assertThat(finishA.exit()).as(finishA.err()).isZero();
        CommandsTest.Run skipB = repvgg("batch", "--model", b.toString(), "--list", list.toString(), "--out", out.toString());
        assertThat(skipB.exit()).isEqualTo(1);

        CommandsTest.Run restarted = repvgg("batch", "--model", b.toString(), "--list", list.toString(), "--out",
                out.toString(), "--restart");
        assertThat(restarted.exit()).as(restarted.err()).isZero();
        assertThat(rows(out.resolve("images.csv"))).isEqualTo(40);
        assertThat(restarted.out()).doesNotContain("continued after");
        assertThat(Files.readString(out.resolve("batch.json"))).contains(b.toString()).doesNotContain(a.toString());
    }

    @Test
    void continuingAfterTheListWasEditedIsRefusedEvenWithTheSameLineCount() throws Exception {
        Path list = list(40);
        Path model = model("model", 0);
        Path out = tmp.resolve("out");
        String[] args = {"batch", "--model", model.toString(), "--list", list.toString(), "--out", out.toString()};
        CommandsTest.Run first = repvgg(args);
        assertThat(first.exit()).as(first.err()).isZero();
        interrupt(out, "images", 10);
        List<String> lines = new ArrayList<>(Files.readAllLines(list));
        java.util.Collections.swap(lines, 20, 30); // after the rows already written: only a digest can tell
        Files.write(list, lines);

        CommandsTest.Run edited = repvgg(args);
        assertThat(edited.exit()).isEqualTo(1);
        assertThat(edited.err()).contains("started from another version of " + list, "--restart");
    }

    @Test
    void aBlankLineInsideAListAndAnEmptyListAreRefused() throws Exception {
        Path list = list(6);
        Path model = model("model", 0);
        List<String> lines = new ArrayList<>(Files.readAllLines(list));
        lines.add(3, "");
        lines.add("");
        Files.write(list, lines);
        CommandsTest.Run blank = repvgg("batch", "--model", model.toString(), "--list", list.toString(), "--out",
                tmp.resolve("out").toString());
        assertThat(blank.exit()).isEqualTo(1);
        assertThat(blank.err()).contains(list + ":4: blank line");

        Path empty = Files.writeString(tmp.resolve("empty.txt"), "\n");
        CommandsTest.Run none = repvgg("batch", "--model", model.toString(), "--list", empty.toString(), "--out",
                tmp.resolve("out2").toString());
        assertThat(none.exit()).isEqualTo(1);
        assertThat(none.err()).contains(empty + ": no images listed");
    }

    @Test
    void aFullDiskIsReportedOnALineOfItsOwnNamingTheFile() throws Exception {
        Path list = list(4);
        Path model = model("model", 0);
        Path out = Files.createDirectories(tmp.resolve("out"));
        Files.createSymbolicLink(out.resolve("images.part.npy"), Path.of("/dev/full")); // every write: ENOSPC
        CommandsTest.Run full = repvgg("batch", "--model", model.toString(), "--list", list.toString(), "--out",
                out.toString());
        assertThat(full.exit()).isEqualTo(1);
        assertThat(full.err().lines()).contains("batch: error: " + out.resolve("images.part.npy")
                + ": No space left on device");
    }

    @Test
    void aReportWithNoMatchingRowsFailsInsteadOfPrintingNaN() throws Exception {
        Path list = list(4);
        Path model = model("model", 0);
        Path out = tmp.resolve("out");
        CommandsTest.Run batch = repvgg("batch", "--model", model.toString(), "--list", list.toString(), "--out",
                out.toString());
        assertThat(batch.exit()).as(batch.err()).isZero();
        Path classes = Files.writeString(tmp.resolve("annotations.txt"), "class_0 0\nclass_1 1\n");
        Path other = Files.writeString(tmp.resolve("other.txt"), list.getParent().resolve("stripes/horizontal/000.png")
                + " 0\n");
        Path elsewhere = tmp.resolve("elsewhere");
        Files.createDirectories(elsewhere.resolve("stripes/horizontal"));
        Files.copy(list.getParent().resolve("stripes/horizontal/000.png"), elsewhere.resolve("stripes/horizontal/000.png"));
        Files.writeString(other, elsewhere.resolve("stripes/horizontal/000.png") + " 0\n");
        CommandsTest.Run report = repvgg("report", "--results", out.toString(), "--list", other.toString(),
                "--classes", classes.toString());
        assertThat(report.exit()).isEqualTo(1);
        assertThat(report.err()).contains("no scored row of " + out + " matches an image of " + other);
        assertThat(report.out()).doesNotContain("NaN");
    }
}
