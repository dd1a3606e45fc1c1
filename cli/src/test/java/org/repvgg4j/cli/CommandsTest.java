package org.repvgg4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CommandsTest {

    private static final String TINY = "depths=1,2,1,1;widths=0.25,0.25,0.25,0.25;groups=2;se=true";

    @TempDir
    Path tmp;

    /** Exit code, standard output and standard error of one {@code repvgg} invocation. */
    record Run(int exit, String out, String err) {}

    static Run repvgg(String... args) {
        CommandLine cli = RepVggCommand.newCommandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** Every score of {@code predict --json}'s lines, in order. */
    static double[] predictScores(String json) {
        return json.lines().map(com.google.gson.JsonParser::parseString)
                .flatMap(line -> line.getAsJsonObject().getAsJsonArray("top").asList().stream())
                .mapToDouble(top -> top.getAsJsonObject().get("score").getAsDouble()).toArray();
    }

    @Test
    void everyVerbHasHelp() {
        for (String verb : new String[] {"split", "annotate", "init", "info", "convert", "bench", "demo", "doctor"}) {
            Run run = repvgg(verb, "--help");
            assertThat(run.exit()).as(verb).isZero();
            assertThat(run.out()).as(verb).startsWith("Usage: repvgg " + verb);
        }
    }

    @Test
    void infoPrintsPaperNumbersForA0() {
        Run run = repvgg("info", "--arch", "A0");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("deploy form: 8,309,384 parameters (8.31M), 1.361G multiply-adds")
                .contains("train form:  9,108,968 parameters (9.11M)")
                .contains("stage3     14      192     14x14");
    }

    @Test
    void doctorChecksEveryConvolutionOfTheNetwork() {
        // Under the test environment's ONEDNN_MAX_CPU_ISA (pom.xml) every check must pass.
        Run run = repvgg("doctor", "--arch", "A0", "--image-size", "32", "--batch", "2");
        assertThat(run.exit()).as(run.out() + run.err()).isZero();
        assertThat(run.out()).contains("3x3 48->96 ch, stride 2, 8x8 map, batch 2")
                .contains("0 of 16 convolutions wrong (relative error above 1e-03) with ONEDNN_MAX_CPU_ISA=AVX2");
        Run quiet = repvgg("doctor", "--arch", TINY, "--image-size", "16", "--batch", "1", "--quiet");
        assertThat(quiet.exit()).as(quiet.out()).isZero();
        assertThat(quiet.out().strip()).matches("0 of \\d+ convolutions wrong .*");
        // each batch size is its own problem (oneDNN picks kernels per batch size)
        Run batches = repvgg("doctor", "--arch", TINY, "--image-size", "16", "--batch", "1,3", "--forward-only");
        assertThat(batches.exit()).as(batches.out()).isZero();
        assertThat(batches.out()).contains("16x16 map, batch 1").contains("16x16 map, batch 3")
                .contains("convolutions wrong in the forward pass");
        Run channelsLast = repvgg("doctor", "--arch", TINY, "--image-size", "16", "--batch", "2", "--channels-last");
        assertThat(channelsLast.exit()).as(channelsLast.out() + channelsLast.err()).isZero();
        assertThat(channelsLast.out()).contains("channels-last convolution").doesNotContain("3->")
                .containsPattern("0 of \\d+ channels-last convolutions wrong");
        Run both = repvgg("doctor", "--strided", "--channels-last");
        assertThat(both.exit()).isNotZero();
        assertThat(both.err()).contains("two checks: give one");
    }

    @Test
    void initConvertInfoWorkEndToEnd() throws Exception {
        Path train = tmp.resolve("train");
        Path deploy = tmp.resolve("deploy");
        Path classes = tmp.resolve("annotations.txt");
        Files.writeString(classes, "cat 0\ndog 1\n");

        Run init = repvgg("init", "--arch", TINY, "--classes", classes.toString(), "--image-size", "32", "--out", train.toString());
        assertThat(init.exit()).as(init.err()).isZero();
        assertThat(Files.readString(train.resolve("model.json"))).contains("\"cat\"", "\"form\": \"train\"");

        Run convert = repvgg("convert", "--model", train.toString(), "--out", deploy.toString());
        assertThat(convert.exit()).as(convert.err()).isZero();
        assertThat(convert.out()).containsPattern("check: max \\|deploy - train\\| = \\S+, .*: equal");
        assertThat(Files.readString(deploy.resolve("model.json"))).contains("\"form\": \"deploy\"", "conversion_check");

        Run info = repvgg("info", "--model", deploy.toString());
        assertThat(info.exit()).isZero();
        assertThat(info.out()).contains("deploy form", "2 classes, input 32x32");
    }

    @Test
    void convertRefusesADeployModelAndWritesNothing() {
        Path train = tmp.resolve("train");
        Path deploy = tmp.resolve("deploy");
        assertThat(repvgg("init", "--arch", TINY, "--classes", "3", "--image-size", "32", "--out", train.toString()).exit()).isZero();
        assertThat(repvgg("convert", "--model", train.toString(), "--out", deploy.toString()).exit()).isZero();

        Run again = repvgg("convert", "--model", deploy.toString(), "--out", tmp.resolve("again").toString());
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err().strip()).isEqualTo("convert: error: the model is already in deploy form; nothing to convert");
        assertThat(tmp.resolve("again")).doesNotExist();
    }

    @Test
    void badInputGivesOneLineAndNonZeroExit() {
        Run unknownArch = repvgg("init", "--arch", "Z9", "--classes", "3", "--out", tmp.resolve("x").toString());
        assertThat(unknownArch.exit()).isEqualTo(2);
        assertThat(unknownArch.err().lines()).hasSize(1);
        assertThat(unknownArch.err()).contains("unknown RepVGG arch 'Z9'");

        Run missingModel = repvgg("convert", "--model", tmp.resolve("nope").toString(), "--out", tmp.resolve("y").toString());
        assertThat(missingModel.exit()).isEqualTo(1);
        assertThat(missingModel.err().lines()).hasSize(1);
        assertThat(missingModel.err()).contains("nope").contains("model directory not found");

        Run badClasses = repvgg("init", "--arch", "A0", "--classes", tmp.resolve("missing.txt").toString(), "--out", tmp.resolve("z").toString());
        assertThat(badClasses.exit()).isEqualTo(1);
        assertThat(badClasses.err()).contains("missing.txt");

        Run missingOption = repvgg("convert", "--model", "x");
        assertThat(missingOption.exit()).isEqualTo(2);
        assertThat(missingOption.err().lines()).hasSize(1);
        assertThat(missingOption.err()).contains("--out");
    }

    @Test
    void benchJsonHasOneObjectPerMeasurement() {
        Run run = repvgg("bench", "--arch", TINY, "--batch", "1,2", "--image-size", "32", "--warmup", "1",
                "--iterations", "2", "--gemm-size", "64", "--json");
        assertThat(run.exit()).as(run.err()).isZero();
        // Both engines by default: train and deploy on PyTorch, and deploy on ONNX Runtime, at each batch.
        assertThat(run.out().lines()).hasSize(6).allSatisfy(line -> assertThat(line)
                .contains("\"model\"", "\"form\"", "\"engine\"", "\"batch\"", "\"threads\"",
                        "\"median_ms\"", "\"images_per_s\"", "\"gflops\""));
        assertThat(run.out().lines().filter(l -> l.contains("\"engine\":\"onnxruntime\"")))
                .hasSize(2).allSatisfy(line -> assertThat(line).contains("\"form\":\"deploy\""));
    }
}
