package org.repvgg4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.repvgg4j.cli.CommandsTest.repvgg;

import ai.djl.ndarray.NDManager;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.repvgg4j.train.EpochMetrics;
import org.repvgg4j.weights.ModelDirectory;
import org.repvgg4j.weights.StateDict;

class TrainCommandTest {

    private static final String TINY = "depths=1,1,1,1;widths=0.125,0.125,0.125,0.25";

    @TempDir
    static Path shared;

    static Path data;

    @BeforeAll
    static void splitStripes() throws Exception {
        Path images = StripeImages.write(shared.resolve("stripes"), 40, 1);
        data = shared.resolve("split");
        CommandsTest.Run split = repvgg("split", "--input", images.toString(), "--out", data.toString(), "--seed", "0");
        assertThat(split.exit()).as(split.err()).isZero();
    }

    /** The command line tool in a fresh JVM with the same settings as surefire's, output to a log file. */
    private static Process startRepvgg(Path log, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), RepVggCommand.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static String[] trainArgs(Path out, int epochs, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--train", data.resolve("train.txt").toString(),
                "--val", data.resolve("val.txt").toString(), "--classes", data.resolve("annotations.txt").toString(),
                "--arch", TINY, "--image-size", "16", "--epochs", String.valueOf(epochs), "--batch-size", "8",
                "--lr", "0.05", "--crop-scale", "0.5,1", "--workers", "2", "--out", out.toString()));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    private static List<String> metricsLines(Path run) throws Exception {
        return Files.readAllLines(run.resolve("metrics.csv"));
    }

    @Test
    void trainingLearnsStripesAndLeavesAVerifiedDeployModel(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        CommandsTest.Run result = repvgg(trainArgs(run, 6));
        assertThat(result.exit()).as(result.err()).isZero();

        List<String> lines = metricsLines(run);
        assertThat(lines.get(0)).isEqualTo("epoch,lr,train_loss,train_top1,val_loss,val_top1,val_top5,images_per_s,seconds");
        assertThat(lines).hasSize(7);
        EpochMetrics last = EpochMetrics.fromCsv(lines.get(6));
        assertThat(last.epoch()).isEqualTo(6);
        double bestTop1 = lines.subList(1, 7).stream().mapToDouble(l -> EpochMetrics.fromCsv(l).valTop1()).max().orElseThrow();
        assertThat(bestTop1).as("stripes are easy").isGreaterThanOrEqualTo(0.9);
        assertThat(run.resolve("best/model.json")).exists();
        assertThat(run.resolve("last/training_state.json")).exists();
        assertThat(Files.readString(run.resolve("deploy/model.json"))).contains("\"form\": \"deploy\"");
        assertThat(run.resolve("curves.png")).isNotEmptyFile();
        assertThat(result.out()).contains("deploy check: max |deploy - train|").contains(": equal");
    }

    @Test
    void frozenStagesKeepTheirInitialWeightsAndStatistics(@TempDir Path tmp) throws Exception {
        Path init = tmp.resolve("init");
        CommandsTest.Run made = repvgg("init", "--arch", TINY, "--classes", data.resolve("annotations.txt").toString(),
                "--image-size", "16", "--out", init.toString());
        assertThat(made.exit()).as(made.err()).isZero();
        Path run = tmp.resolve("run");
        CommandsTest.Run result = repvgg(trainArgs(run, 2, "--init", init.toString(), "--freeze-through", "stage2"));
        assertThat(result.exit()).as(result.err()).isZero();
        assertThat(Files.readString(run.resolve("run.json"))).contains("\"freezeThrough\": \"stage2\"");

        try (NDManager m = NDManager.newBaseManager()) {
            StateDict before = StateDict.readSafetensors(init.resolve(ModelDirectory.WEIGHTS_FILE), m);
            StateDict after = StateDict.readSafetensors(run.resolve("last").resolve(ModelDirectory.WEIGHTS_FILE), m);
            int frozen = 0;
            for (String key : before.keys()) {
                float diff = before.get(key).sub(after.get(key)).abs().max().getFloat();
                if (key.matches("stage[012]\\..*")) {
                    assertThat(diff).as(key + " is frozen").isZero();
                    frozen++;
                } else if (key.endsWith("conv.weight") || key.endsWith("running_mean") || key.startsWith("linear.")) {
                    assertThat(diff).as(key + " trains").isPositive();
                }
            }
            assertThat(frozen).isGreaterThan(20);
        }
        CommandsTest.Run wrong = repvgg(trainArgs(tmp.resolve("wrong"), 1, "--freeze-through", "stage7"));
        assertThat(wrong.exit()).isEqualTo(1);
        assertThat(wrong.err()).contains("freeze through 'stage7': give none or a stage");
    }

    @Test
    void anEngineThatCannotTrainTheRunIsRefusedNamingTheOption(@TempDir Path tmp) throws Exception {
        CommandsTest.Run refused = repvgg(trainArgs(tmp.resolve("ema"), 1, "--ema", "0.99", "--engine", "onednn"));
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("--engine onednn cannot train this run: --ema; use --engine pytorch");
        assertThat(tmp.resolve("ema").resolve("run.json")).doesNotExist();

        CommandsTest.Run unknown = repvgg(trainArgs(tmp.resolve("bogus"), 1, "--engine", "tensorflow"));
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.err()).contains("unknown training engine 'tensorflow' (auto, onednn or pytorch)");

        CommandsTest.Run pytorch = repvgg(trainArgs(tmp.resolve("pytorch"), 1, "--engine", "pytorch"));
        assertThat(pytorch.exit()).as(pytorch.err()).isZero();
        assertThat(pytorch.out()).doesNotContain("training steps: oneDNN");
    }

    @Test
    void badListLineIsReportedBeforeTraining(@TempDir Path tmp) throws Exception {
        Path list = tmp.resolve("train.txt");
        Files.writeString(list, "a.png 0\nb.png 7\n");
        Files.copy(data.resolve("train/horizontal/000.png"), tmp.resolve("a.png"));
        Files.copy(data.resolve("train/horizontal/000.png"), tmp.resolve("b.png"));
        CommandsTest.Run result = repvgg("train", "--train", list.toString(), "--val", data.resolve("val.txt").toString(),
                "--classes", data.resolve("annotations.txt").toString(), "--arch", TINY, "--out", tmp.resolve("run").toString());
        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.err()).contains("train.txt:2: label 7 is out of range");
        assertThat(tmp.resolve("run")).doesNotExist();
    }

    @Test
    void corruptImageIsSkippedAndReported(@TempDir Path tmp) throws Exception {
        Path list = tmp.resolve("train.txt");
        Files.write(tmp.resolve("broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        List<String> lines = new ArrayList<>(Files.readAllLines(data.resolve("train.txt")).stream()
                .map(l -> data.resolve(l.substring(0, l.lastIndexOf(' '))) + l.substring(l.lastIndexOf(' '))).toList());
        lines.add(tmp.resolve("broken.png") + " 1");
        Files.write(list, lines);
        CommandsTest.Run result = repvgg("train", "--train", list.toString(), "--val", data.resolve("val.txt").toString(),
                "--classes", data.resolve("annotations.txt").toString(), "--arch", TINY, "--image-size", "16",
                "--epochs", "1", "--batch-size", "8", "--out", tmp.resolve("run").toString());
        assertThat(result.exit()).as(result.err()).isZero();
        assertThat(result.out()).contains("unreadable images skipped").contains("broken.png");
    }

    /**
     * kill -9 in the middle of an epoch, resume, and end where an uninterrupted run ends. All three
     * runs are fresh JVMs: the engine's thread count is process-wide, and an earlier test in this JVM
     * may have changed it (predict --threads), which changes the floating-point summation order.
     */
    /**
     * With Mixup, CutMix, RandAugment, Random Erasing and class-balanced drawing on, whose draws must
     * also come out the same after a resume, and the custom L2.
     */
    /**
     * Both engines: with --custom-l2 the steps are libtorch's, without it the oneDNN graph's (whose
     * weights and momentum buffers go into the checkpoint at each epoch's end and come back on resume).
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"libtorch, --custom-l2", "oneDNN, --label-smoothing=0.1"})
    void resumeAfterKillContinuesTheSameRun(String engine, String option, @TempDir Path tmp) throws Exception {
        int epochs = 5;
        String[] mixing = {"--mixup", "0.2", "--cutmix", "1.0", "--augment", "randaugment", "--random-erasing", "0.25",
            "--balanced", option};
        Path reference = tmp.resolve("reference");
        Process uninterrupted = startRepvgg(tmp.resolve("reference.log"), trainArgs(reference, epochs, mixing));
        assertThat(uninterrupted.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(uninterrupted.exitValue()).as(Files.readString(tmp.resolve("reference.log"))).isZero();
        assertThat(Files.readString(tmp.resolve("reference.log"))).contains("training steps: " + engine);

        Path run = tmp.resolve("killed");
        Process process = startRepvgg(tmp.resolve("killed.log"), trainArgs(run, epochs, mixing));
        try {
            // Wait until two epochs are done, then a little into the third.
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (System.nanoTime() < deadline && process.isAlive()
                    && !(Files.exists(run.resolve("metrics.csv")) && metricsLines(run).size() >= 3)) {
                Thread.sleep(50);
            }
            Thread.sleep(300);
            assertThat(process.isAlive()).as("the run should still be going: " + Files.readString(tmp.resolve("killed.log"))).isTrue();
        } finally {
            process.destroyForcibly().waitFor();
        }
        int doneAtKill = metricsLines(run).size() - 1;
        assertThat(doneAtKill).isBetween(2, epochs - 1);

        Process resumed = startRepvgg(tmp.resolve("resumed.log"), "train", "--resume", run.toString());
        assertThat(resumed.waitFor(5, TimeUnit.MINUTES)).isTrue();
        String resumedLog = Files.readString(tmp.resolve("resumed.log"));
        assertThat(resumed.exitValue()).as(resumedLog).isZero();
        assertThat(resumedLog).contains("resuming after epoch " + doneAtKill).contains("training steps: " + engine)
                .contains("  with mixup 0.2, cutmix 1.0, augment rand-m9-n2-mstd0.5-inc1, random erasing 0.25");
        assertThat(Files.readString(run.resolve("run.json"))).contains("\"mixup\": 0.2", "\"cutmix\": 1.0",
                "\"augment\": \"rand-m9-n2-mstd0.5-inc1\"", "\"randomErasing\": 0.25",
                "\"customL2\": " + option.equals("--custom-l2"), "\"balanced\": true");

        List<String> lines = metricsLines(run);
        assertThat(lines).hasSize(epochs + 1);
        for (int e = 1; e <= epochs; e++) {
            assertThat(EpochMetrics.fromCsv(lines.get(e)).epoch()).isEqualTo(e);
        }
        List<String> expected = metricsLines(reference);
        for (int e = 1; e <= epochs; e++) {
            EpochMetrics a = EpochMetrics.fromCsv(expected.get(e));
            EpochMetrics b = EpochMetrics.fromCsv(lines.get(e));
            assertThat(b.lr()).as("epoch %d lr", e).isEqualTo(a.lr());
            assertThat(b.trainLoss()).as("epoch %d train loss", e).isCloseTo(a.trainLoss(), org.assertj.core.api.Assertions.within(1e-3));
        }
        try (NDManager m = NDManager.newBaseManager()) {
            StateDict want = StateDict.readSafetensors(reference.resolve("last").resolve(ModelDirectory.WEIGHTS_FILE), m);
            StateDict got = StateDict.readSafetensors(run.resolve("last").resolve(ModelDirectory.WEIGHTS_FILE), m);
            assertThat(got.keys()).containsExactlyElementsOf(want.keys());
            for (String key : want.keys()) {
                float diff = want.get(key).sub(got.get(key)).abs().max().getFloat();
                float scale = Math.max(1e-3f, want.get(key).abs().max().getFloat());
                assertThat(diff / scale).as(key).isLessThan(1e-3f);
            }
        }
        assertThat(Files.list(run).map(p -> p.getFileName().toString())
                .filter(n -> n.startsWith(".") && !n.equals(org.repvgg4j.io.FolderLock.FILE)).toList())
                .as("no half-written directories left").isEmpty();
        assertThat(new File(run.resolve("deploy").toString())).exists();
    }

    /** Standard output and error to one file, as {@code repvgg train ... > train.log 2>&1} writes it. */
    @Test
    void aTrainingLogInAFileHasOneLinePerEpochAndNoRedraws(@TempDir Path tmp) throws Exception {
        int epochs = 3;
        Path log = tmp.resolve("train.log");
        Process process = startRepvgg(log, trainArgs(tmp.resolve("run"), epochs));
        assertThat(process.waitFor(5, TimeUnit.MINUTES)).isTrue();
        String text = Files.readString(log);
        assertThat(process.exitValue()).as(text).isZero();
        assertThat(text).doesNotContain("\r");
        List<String> epochLines = text.lines().filter(line -> line.startsWith("epoch ")).toList();
        assertThat(epochLines).hasSize(epochs);
        for (int e = 1; e <= epochs; e++) {
            assertThat(epochLines.get(e - 1)).startsWith("epoch " + e + "/" + epochs + "  lr");
        }
        assertThat(text.lines().filter(line -> line.contains("/" + epochs + " ") && line.contains("img/s")).count())
                .as("progress lines in:%n%s", text).isEqualTo(epochs);
    }

    @Test
    void quietTrainingPrintsTheResultOnly(@TempDir Path tmp) throws Exception {
        CommandsTest.Run run = repvgg(trainArgs(tmp.resolve("run"), 2, "--quiet"));
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.err()).doesNotContain("\r").doesNotContain("epoch ");
        assertThat(run.out()).doesNotContain("epoch 1/2").doesNotContain("training RepVGG");
        List<String> lines = run.out().lines().toList();
        assertThat(lines.get(lines.size() - 1)).startsWith("best val top-1 ");
        assertThat(metricsLines(tmp.resolve("run"))).hasSize(3);
    }

    /** A finished one-epoch run in {@code tmp/run}. */
    private static Path finishedRun(Path tmp) {
        Path run = tmp.resolve("run");
        CommandsTest.Run result = repvgg(trainArgs(run, 1));
        assertThat(result.exit()).as(result.err()).isZero();
        return run;
    }

    /** A copy of the fixture's lists and class file that a test may edit. */
    private static Path copyOfData(Path tmp) throws Exception {
        Path copy = Files.createDirectories(tmp.resolve("data"));
        for (String name : List.of("train.txt", "val.txt", "annotations.txt")) {
            List<String> lines = Files.readAllLines(data.resolve(name));
            if (!name.equals("annotations.txt")) {
                lines = lines.stream().map(l -> data.resolve(l.substring(0, l.lastIndexOf(' '))).toAbsolutePath()
                        + l.substring(l.lastIndexOf(' '))).toList();
            }
            Files.write(copy.resolve(name), lines);
        }
        return copy;
    }

    @Test
    void resumingAfterAListChangedIsRefusedNamingTheList(@TempDir Path tmp) throws Exception {
        Path copy = copyOfData(tmp);
        Path run = tmp.resolve("run");
        List<String> args = new ArrayList<>(List.of(trainArgs(run, 1)));
        args.set(args.indexOf("--val") + 1, copy.resolve("val.txt").toString());
        CommandsTest.Run first = repvgg(args.toArray(String[]::new));
        assertThat(first.exit()).as(first.err()).isZero();
        List<String> val = new ArrayList<>(Files.readAllLines(copy.resolve("val.txt")));
        java.util.Collections.swap(val, 0, val.size() - 1); // same lines, same count, other order
        Files.write(copy.resolve("val.txt"), val);

        CommandsTest.Run resumed = repvgg("train", "--resume", run.toString());
        assertThat(resumed.exit()).isEqualTo(1);
        assertThat(resumed.err()).contains(copy.resolve("val.txt") + ": changed since this run started");
    }

    @Test
    void aDamagedCheckpointIsRefusedNamingTheFile(@TempDir Path tmp) throws Exception {
        Path run = finishedRun(tmp);
        Path optimizer = run.resolve("last/optimizer.safetensors");
        byte[] bytes = Files.readAllBytes(optimizer);
        for (int i = bytes.length - 64; i < bytes.length; i++) {
            bytes[i] ^= 0x33;
        }
        Files.write(optimizer, bytes);
        CommandsTest.Run resumed = repvgg("train", "--resume", run.toString());
        assertThat(resumed.exit()).isEqualTo(1);
        assertThat(resumed.err()).contains(optimizer + ": damaged or changed since it was written");
    }

    @Test
    void aBrokenTrainingStateNamesItsFile(@TempDir Path tmp) throws Exception {
        Path run = finishedRun(tmp);
        // As a checkpoint written before checksums: nothing but the parse can notice.
        Path config = run.resolve("last/model.json");
        com.google.gson.JsonObject json = com.google.gson.JsonParser.parseString(Files.readString(config)).getAsJsonObject();
        json.remove("sha256");
        Files.writeString(config, json.toString());
        Path state = run.resolve("last/training_state.json");
        Files.writeString(state, "{\"epochsDone\": 1, \"step\": ");
        CommandsTest.Run resumed = repvgg("train", "--resume", run.toString());
        assertThat(resumed.exit()).isEqualTo(1);
        assertThat(resumed.err()).contains(state + ": not a readable training state");
    }

    @Test
    void aMissingLastCheckpointIsRefusedInsteadOfRestartingFromEpochOne(@TempDir Path tmp) throws Exception {
        Path run = finishedRun(tmp);
        org.repvgg4j.io.FileTrees.delete(run.resolve("last"));
        CommandsTest.Run resumed = repvgg("train", "--resume", run.toString());
        assertThat(resumed.exit()).isEqualTo(1);
        assertThat(resumed.err()).contains("last/training_state.json: missing, but " + run + " has 1 finished epoch(s)");
        assertThat(metricsLines(run)).hasSize(2);
    }

    @Test
    void aRunThatFailsItsChecksLeavesNoRunJsonSoARetryWorks(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        List<String> args = new ArrayList<>(List.of(trainArgs(run, 1)));
        args.set(args.indexOf("--batch-size") + 1, "4096");
        CommandsTest.Run tooBig = repvgg(args.toArray(String[]::new));
        assertThat(tooBig.exit()).isEqualTo(1);
        assertThat(tooBig.err()).contains("fewer than one batch of 4096");
        assertThat(run.resolve("run.json")).doesNotExist();

        CommandsTest.Run retry = repvgg(trainArgs(run, 1));
        assertThat(retry.exit()).as(retry.err()).isZero();
        assertThat(run.resolve("run.json")).exists();
    }
}
