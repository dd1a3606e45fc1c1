package org.repvgg4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.repvgg4j.cli.CommandsTest.predictScores;
import static org.repvgg4j.cli.CommandsTest.repvgg;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repvgg4j.cli.CommandsTest.Run;
import org.repvgg4j.export.OnnxExporter;
import org.repvgg4j.infer.OnnxRuntimeRunner;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.reparam.Equivalence;
import org.repvgg4j.weights.LoadedModel;
import org.repvgg4j.weights.ModelDirectory;
import org.repvgg4j.weights.NetworkWeights;

class ExportCommandTest {

    private static final String TINY = "depths=1,2,1,1;widths=0.25,0.25,0.25,0.25;groups=2;se=true";
    private static final String CHECK_LINE =
            "onnxruntime check: max \\|onnxruntime - djl\\| = \\S+, max \\|djl\\| = \\S+, relative \\S+ \\(limit 1e-04, batch 2\\): equal";

    @TempDir
    Path tmp;

    private Path initTrain(String classes) {
        Path train = tmp.resolve("train");
        Run init = repvgg("init", "--arch", TINY, "--classes", classes, "--image-size", "32", "--out", train.toString());
        assertThat(init.exit()).as(init.err()).isZero();
        return train;
    }

    @Test
    void exportsADeployModelAndPrintsTheOnnxRuntimeCheck() throws Exception {
        Path train = initTrain("3");
        Path deploy = tmp.resolve("deploy");
        assertThat(repvgg("convert", "--model", train.toString(), "--out", deploy.toString()).exit()).isZero();
        Path onnx = tmp.resolve("out/model.onnx");

        Run export = repvgg("export", "--model", deploy.toString(), "--format", "onnx", "--out", onnx.toString());

        assertThat(export.exit()).as(export.err()).isZero();
        assertThat(export.out()).doesNotContain("conversion check")
                .containsPattern(CHECK_LINE)
                .contains("wrote " + onnx + ": RepVGG-" + TINY + " deploy form, 3 classes, input [batch, 3, 32, 32], opset 17");
        try (OnnxRuntimeRunner ort = OnnxRuntimeRunner.open(onnx, 1)) {
            assertThat(ort.inputShape()).containsExactly(-1, 3, 32, 32);
            assertThat(ort.metadata()).containsEntry("classes", "[\"class_0\",\"class_1\",\"class_2\"]");
        }
        try (Stream<Path> files = Files.list(onnx.getParent())) {
            assertThat(files).as("no staging file left").containsExactly(onnx);
        }
        Run info = repvgg("info", "--model", onnx.toString());
        assertThat(info.exit()).as(info.err()).isZero();
        assertThat(info.out()).contains("model " + onnx + ": ONNX, deploy form, fp32, ",
                "RepVGG-" + TINY + ", 3 classes, input 32x32", "deploy form: ");
    }

    @Test
    void exportFromATrainDirectoryConvertsAndVerifiesFirst() throws Exception {
        Path classes = tmp.resolve("annotations.txt");
        Files.writeString(classes, "cat 0\ndog 1\n");
        Path train = initTrain(classes.toString());

        Run export = repvgg("export", "--model", train.toString());

        assertThat(export.exit()).as(export.err()).isZero();
        assertThat(export.out())
                .containsPattern("conversion check: max \\|deploy - train\\| = \\S+, .*: equal")
                .containsPattern(CHECK_LINE);
        Path onnx = train.resolve("model.onnx");
        assertThat(onnx).isRegularFile();
        try (OnnxRuntimeRunner ort = OnnxRuntimeRunner.open(onnx, 1)) {
            assertThat(ort.metadata()).containsEntry("classes", "[\"cat\",\"dog\"]")
                    .containsEntry("form", "deploy")
                    .containsEntry("provenance.converted_from", "train form");
        }
    }

    /** An untrained two-class model (horizontal, vertical) in train form, and one photo of each class. */
    private record StripeModel(Path train, String[] photos) {}

    private StripeModel stripeModel() throws Exception {
        Path classes = tmp.resolve("annotations.txt");
        Files.writeString(classes, "horizontal 0\nvertical 1\n");
        Path train = initTrain(classes.toString());
        Path images = StripeImages.write(tmp.resolve("stripes"), 1, 5);
        return new StripeModel(train, new String[] {images.resolve("horizontal/000.png").toString(),
            images.resolve("vertical/000.png").toString()});
    }

    @Test
    void torchScriptExportIsCheckedInLibtorchAndPredictsWithoutAClassFile() throws Exception {
        StripeModel model = stripeModel();
        Path train = model.train();
        String[] photos = model.photos();

        Run export = repvgg("export", "--model", train.toString(), "--format", "torchscript");

        assertThat(export.exit()).as(export.err()).isZero();
        Path pt = train.resolve("model.pt");
        assertThat(export.out())
                .containsPattern("conversion check: max \\|deploy - train\\| = \\S+, .*: equal")
                .containsPattern("torchscript check: max \\|torchscript - djl\\| = \\S+, max \\|djl\\| = \\S+, "
                        + "relative \\S+ \\(limit 1e-04, batch 2\\): equal")
                .contains("wrote " + pt + ": RepVGG-" + TINY + " deploy form, TorchScript, 2 classes, input [batch, 3, 32, 32]");
        Run fromFile = repvgg("predict", "--model", pt.toString(), "--engine", "pytorch", "--json", "--top", "2",
                photos[0], photos[1]);
        Run fromDirectory = repvgg("predict", "--model", train.toString(), "--engine", "pytorch", "--json", "--top", "2",
                photos[0], photos[1]);
        assertThat(fromFile.exit()).as(fromFile.err()).isZero();
        assertThat(fromFile.out()).contains("\"horizontal\"", "\"vertical\"");
        assertThat(predictScores(fromFile.out()))
                .containsExactly(predictScores(fromDirectory.out()), org.assertj.core.data.Offset.offset(1e-5));

        Run int8 = repvgg("export", "--model", train.toString(), "--format", "torchscript", "--precision", "int8",
                "--calibration", tmp.resolve("annotations.txt").toString());
        assertThat(int8.exit()).isEqualTo(2);
        assertThat(int8.err()).contains("--precision int8 is written as ONNX only");
    }

    @Test
    void bf16TorchScriptExportIsCheckedWithinItsToleranceAndPredictsTheSameClasses() throws Exception {
        StripeModel model = stripeModel();
        Path train = model.train();
        String[] photos = model.photos();

        Run export = repvgg("export", "--model", train.toString(), "--format", "torchscript", "--precision", "bf16");

        assertThat(export.exit()).as(export.err()).isZero();
        Path pt = train.resolve("model-bf16.pt");
        assertThat(export.out())
                .containsPattern("torchscript check: max \\|torchscript bf16 - djl\\| = \\S+, max \\|djl\\| = \\S+, "
                        + "relative \\S+ \\(limit 5e-02, batch 2\\): equal")
                .contains("wrote " + pt + ": RepVGG-" + TINY + " deploy form, TorchScript bf16, 2 classes");
        Run bf16 = repvgg("predict", "--model", pt.toString(), "--json", "--top", "2", photos[0], photos[1]);
        Run fp32 = repvgg("predict", "--model", train.toString(), "--engine", "pytorch", "--json", "--top", "2",
                photos[0], photos[1]);
        assertThat(bf16.exit()).as(bf16.err()).isZero();
        assertThat(predictScores(bf16.out()))
                .containsExactly(predictScores(fp32.out()), org.assertj.core.data.Offset.offset(0.05));
        Run info = repvgg("info", "--model", pt.toString());
        assertThat(info.out()).as(info.err()).contains("model " + pt + ": TorchScript, deploy form, bf16, ");
        // The same without a file: the directory's deploy form exported in memory, as predict, eval and batch take it.
        Run inMemory = repvgg("predict", "--model", train.toString(), "--precision", "bf16", "--json", "--top", "2",
                photos[0], photos[1]);
        assertThat(inMemory.exit()).as(inMemory.err()).isZero();
        assertThat(predictScores(inMemory.out()))
                .containsExactly(predictScores(bf16.out()), org.assertj.core.data.Offset.offset(1e-6));
        Run onOnnxRuntime = repvgg("predict", "--model", train.toString(), "--precision", "bf16", "--engine",
                "onnxruntime", photos[0]);
        assertThat(onOnnxRuntime.exit()).isEqualTo(1);
        assertThat(onOnnxRuntime.err()).contains("--precision bf16 runs on libtorch");

        Run onnx = repvgg("export", "--model", train.toString(), "--precision", "bf16");
        assertThat(onnx.exit()).isEqualTo(2);
        assertThat(onnx.err()).contains("--precision bf16 is written as TorchScript only");
    }

    @Test
    void bf16RunsOneDnnConvolutionsWithTheReluFusedWhereTheProcessorAllowsIt() throws Exception {
        // The tests cap oneDNN at AVX2 (pom.xml), where bf16 takes ATen's path; a child process without the cap
        // takes oneDNN's, which needs AVX-512 BW, VL and DQ.
        java.util.List<String> flags = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                .filter(l -> l.startsWith("flags")).findFirst().map(l -> java.util.List.of(l.split("\\s+"))).orElseThrow();
        org.junit.jupiter.api.Assumptions.assumeTrue(flags.containsAll(java.util.List.of("avx512bw", "avx512vl", "avx512dq")),
                "no AVX-512 BW/VL/DQ: oneDNN's bf16 path is not available here");
        Path train = tmp.resolve("plain");
        Run init = repvgg("init", "--arch", "depths=1,2,1,1;widths=0.25,0.25,0.25,0.25;groups=2", "--classes", "3",
                "--image-size", "32", "--out", train.toString());
        assertThat(init.exit()).as(init.err()).isZero();
        Path pt = tmp.resolve("plain-bf16.pt");

        ProcessBuilder child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), RepVggCommand.class.getName(),
                "export", "--model", train.toString(), "--format", "torchscript", "--precision", "bf16",
                "--out", pt.toString()).redirectErrorStream(true);
        child.environment().remove("ONEDNN_MAX_CPU_ISA");
        child.environment().put("ONEDNN_VERBOSE", "1");
        Process process = child.start();
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);

        assertThat(process.waitFor()).as(output).isZero();
        assertThat(output).contains("wrote " + pt);
        java.util.List<String> bf16Convolutions = output.lines()
                .filter(l -> l.contains("exec,cpu,convolution") && l.contains("src:bf16")).toList();
        // Every block is one oneDNN convolution with its ReLU fused in.
        assertThat(bf16Convolutions).as(output).isNotEmpty()
                .allSatisfy(l -> assertThat(l).contains("eltwise_relu"));
    }

    @Test
    void aFailedCheckLeavesNoFile() throws Exception {
        Path train = initTrain("3");
        Path onnx = tmp.resolve("model.onnx");
        try (NDManager manager = NDManager.newBaseManager()) {
            // The ONNX file holds one network's weights; the check runs another, freshly initialised one.
            LoadedModel model = ModelDirectory.load(train, manager);
            RepVgg deploy = new RepVgg(model.config().spec(), Form.DEPLOY, 3);
            deploy.initialize(manager, 32);
            RepVgg other = new RepVgg(model.config().spec(), Form.DEPLOY, 3);
            other.initialize(manager, 32);
            byte[] bytes = OnnxExporter.toBytes(model.config().withForm(Form.DEPLOY), NetworkWeights.of(deploy));

            Equivalence check = ExportCommand.writeVerified(onnx, bytes, other, 2, 0, 1, manager);

            assertThat(check.holds()).isFalse();
            assertThat(check.relativeDifference()).isGreaterThan(1e-2);
        }
        try (Stream<Path> files = Files.list(tmp)) {
            assertThat(files).as("neither the file nor its staging copy").containsExactly(train);
        }
    }

    @Test
    void badFormatOrMissingModelGivesOneLineAndNonZeroExit() {
        Run badFormat = repvgg("export", "--model", tmp.toString(), "--format", "tflite");
        assertThat(badFormat.exit()).isEqualTo(2);
        assertThat(badFormat.err().lines()).hasSize(1);
        assertThat(badFormat.err()).contains("'tflite' is not supported (supported: onnx, torchscript)");

        Run missing = repvgg("export", "--model", tmp.resolve("nope").toString(), "--out", tmp.resolve("x.onnx").toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err().lines()).hasSize(1);
        assertThat(missing.err()).contains("nope").contains("model directory not found");
        assertThat(tmp.resolve("x.onnx")).doesNotExist();
    }

    @Test
    void exportHasHelp() {
        Run run = repvgg("export", "--help");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).startsWith("Usage: repvgg export").contains("--format", "--out", "--threads");
    }
}
