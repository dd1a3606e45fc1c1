package org.repvgg4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.repvgg4j.cli.CommandsTest.repvgg;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repvgg4j.cli.CommandsTest.Run;
import org.repvgg4j.io.Npy;
import org.repvgg4j.io.NpyArray;
import org.repvgg4j.weights.StateDict;

/** {@code repvgg import} and {@code repvgg predict --tensor} on the PyTorch fixtures in core's test resources. */
class ImportPredictCommandsTest {

    /** Written by tools/torch_reference.py; Maven runs these tests from the cli module's folder. */
    private static final Path TORCH = Path.of("..", "core", "src", "test", "resources", "torch").toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    private static String fixture(String name) {
        Path file = TORCH.resolve(name);
        assertThat(file).as("fixture (run tools/torch_reference.py fixtures)").exists();
        return file.toString();
    }

    private Path classFile(String... names) throws IOException {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < names.length; i++) {
            text.append(names[i]).append(' ').append(i).append('\n');
        }
        Path file = tmp.resolve("annotations.txt");
        Files.writeString(file, text);
        return file;
    }

    @Test
    void importAndPredictHaveHelp() {
        for (String verb : new String[] {"import", "predict"}) {
            Run run = repvgg(verb, "--help");
            assertThat(run.exit()).as(verb).isZero();
            assertThat(run.out()).as(verb).startsWith("Usage: repvgg " + verb);
        }
    }

    @Test
    void importedTimmCheckpointPredictsPyTorchsLogits() throws IOException {
        Path model = tmp.resolve("model");
        Run imported = repvgg("import", "--weights", fixture("timm_deploy_G.safetensors"), "--out", model.toString(),
                "--image-size", "32");
        assertThat(imported.exit()).as(imported.err()).isZero();
        assertThat(imported.out()).contains("safetensors", "timm key names (detected), deploy form",
                "(detected from shapes)", "head kept: 5 classes");
        assertThat(Files.readString(model.resolve("model.json")))
                .contains("\"source_layout\": \"timm (detected)\"", "\"form\": \"deploy\"", "\"head\": \"from the checkpoint\"");

        Path logits = tmp.resolve("logits.npy");
        Run predict = repvgg("predict", "--model", model.toString(), "--tensor", fixture("input.npy"),
                "--save-logits", logits.toString());
        assertThat(predict.exit()).as(predict.err()).isZero();
        assertThat(predict.out()).contains("wrote " + logits + ": float32 logits (2, 5)").containsPattern("(?m)^0:  class_\\d 0\\.\\d{3}");
        float[] ours = Npy.read(logits).toFloats();
        float[] theirs = Npy.read(Path.of(fixture("logits_timm_deploy_G_st.npy"))).toFloats();
        float scale = 0;
        float diff = 0;
        for (int i = 0; i < theirs.length; i++) {
            scale = Math.max(scale, Math.abs(theirs[i]));
            diff = Math.max(diff, Math.abs(ours[i] - theirs[i]));
        }
        assertThat(diff).isLessThanOrEqualTo(1e-4f * scale);
    }

    @Test
    void aClassFileWithAnotherCountReinitialisesTheHeadAndSaysSo() throws IOException {
        Path model = tmp.resolve("model");
        Path classes = classFile("cat", "dog", "hot dog");
        Run run = repvgg("import", "--weights", fixture("mmcls_train_G.pth"), "--out", model.toString(),
                "--classes", classes.toString(), "--image-size", "32");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("head re-initialised for 3 classes (the checkpoint's head has 5 classes)");
        assertThat(Files.readString(model.resolve("model.json"))).contains("\"hot dog\"", "\"num_classes\": 3",
                "re-initialised for 3 classes");

        Run numbered = repvgg("import", "--weights", fixture("mmcls_train_G.pth"), "--out", tmp.resolve("m2").toString(),
                "--num-classes", "5", "--image-size", "32");
        assertThat(numbered.exit()).as(numbered.err()).isZero();
        assertThat(numbered.out()).contains("head kept: 5 classes");
    }

    @Test
    void aBackboneWithoutHeadNeedsAClassCount() throws IOException {
        Path headless = tmp.resolve("backbone.safetensors");
        try (NDManager manager = NDManager.newBaseManager()) {
            StateDict all = StateDict.readSafetensors(Path.of(fixture("official_train_G.safetensors")), manager);
            StateDict backbone = new StateDict();
            all.asMap().forEach((k, v) -> {
                if (!k.startsWith("linear.")) {
                    backbone.put(k, v);
                }
            });
            backbone.writeSafetensors(headless);
        }
        assertOneLineError(importing(headless.toString()), headless + ": has no classifier head ('linear.weight' or its "
                + "official name); give --classes or --num-classes for a new one");
        Run withClasses = importing(headless.toString(), "--num-classes", "4", "--image-size", "32");
        assertThat(withClasses.exit()).as(withClasses.err()).isZero();
        assertThat(withClasses.out()).contains("head re-initialised for 4 classes (the checkpoint has no head)");
    }

    @Test
    void keepHeadWithAnotherClassCountNamesBothCounts() throws IOException {
        Path classes = classFile("cat", "dog", "hot dog");
        String weights = fixture("mmcls_train_G.pth");
        Run run = repvgg("import", "--weights", weights, "--out", tmp.resolve("m").toString(),
                "--classes", classes.toString(), "--keep-head");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err().strip()).isEqualTo("import: error: " + classes + " has 3 classes but " + weights
                + "'s head has 5; drop --keep-head to re-initialise the head for 3 classes");
        assertThat(tmp.resolve("m")).doesNotExist();
    }

    @Test
    void badCheckpointsGiveOneLineAndExitCodeOne() throws IOException {
        byte[] whole = Files.readAllBytes(Path.of(fixture("official_train_G.pth")));
        Path truncated = tmp.resolve("truncated.pth");
        Files.write(truncated, Arrays.copyOf(whole, whole.length - 100));
        assertOneLineError(importing(truncated.toString()), truncated + ": truncated or damaged zip file");

        Path notes = tmp.resolve("notes.txt");
        Files.writeString(notes, "not a checkpoint");
        assertOneLineError(importing(notes.toString()), notes + ": not a PyTorch checkpoint (.pth zip) or a safetensors file");

        assertOneLineError(importing(fixture("legacy.pth")), "legacy format (before 1.6)");

        Run otherArch = importing(fixture("official_train_G.pth"), "--arch", "depths=2,3,1,1;widths=0.125,0.0625,0.03125,0.03125;groups=2");
        assertOneLineError(otherArch, "missing key 'stage2.2.rbr_identity.weight'");
        assertThat(otherArch.err()).contains("unexpected key 'stage3.1.rbr_identity.weight'");

        Run wrongShape = importing(fixture("official_train_G.pth"), "--arch", "depths=2,2,2,1;widths=0.25,0.0625,0.03125,0.03125;groups=2");
        assertOneLineError(wrongShape, "key 'stage0.rbr_dense.conv.weight' has shape (8, 3, 3, 3)");
        assertThat(wrongShape.err()).contains("expects (16, 3, 3, 3)");

        Run badLayout = importing(fixture("official_train_G.pth"), "--layout", "keras");
        assertThat(badLayout.exit()).isEqualTo(2);
        assertThat(badLayout.err().lines()).hasSize(1);
        assertThat(badLayout.err()).contains("unknown key layout 'keras'");
        assertThat(tmp.resolve("out")).doesNotExist();
    }

    @Test
    void predictRefusesATensorOfTheWrongShape() throws IOException {
        Path model = tmp.resolve("model");
        assertThat(repvgg("import", "--weights", fixture("official_deploy_S.safetensors"), "--out", model.toString(),
                "--image-size", "32").exit()).isZero();
        String notAnImageBatch = fixture("logits_official_deploy_S.npy");
        Run run = repvgg("predict", "--model", model.toString(), "--tensor", notAnImageBatch);
        assertOneLineError(run, notAnImageBatch + ": expected an NCHW array (N, 3, H, W), got shape (2, 5)");
        Run missing = repvgg("predict", "--model", model.toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("--tensor");
    }

    @Test
    void predictComputesFloat64InputInFloat32AndRefusesIntegers() throws IOException {
        Path model = tmp.resolve("model");
        assertThat(repvgg("import", "--weights", fixture("official_deploy_S.pth"), "--out", model.toString(),
                "--image-size", "32").exit()).isZero();
        NpyArray input = Npy.read(Path.of(fixture("input.npy")));
        Path doubles = tmp.resolve("input64.npy");
        Npy.write(doubles, NpyArray.ofDoubles(input.shape(), input.toDoubles()));
        Path logits = tmp.resolve("logits.npy");
        Run run = repvgg("predict", "--model", model.toString(), "--tensor", doubles.toString(),
                "--save-logits", logits.toString(), "--batch", "1");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("note: " + doubles + " is float64; computing in float32");
        assertThat(Npy.read(logits).toFloats()).containsExactly(
                Npy.read(Path.of(fixture("logits_official_deploy_S.npy"))).toFloats(), within(1e-6f));

        Path longs = tmp.resolve("labels.npy");
        Npy.write(longs, NpyArray.ofLongs(new long[] {1, 3, 2, 2}, new long[12]));
        assertOneLineError(repvgg("predict", "--model", model.toString(), "--tensor", longs.toString()),
                longs + ": int64 values; --tensor takes preprocessed float32 input");
    }

    private Run importing(String weights, String... more) {
        String[] args = new String[4 + more.length];
        args[0] = "import";
        args[1] = "--weights";
        args[2] = weights;
        args[3] = "--out=" + tmp.resolve("out");
        System.arraycopy(more, 0, args, 4, more.length);
        return repvgg(args);
    }

    private static void assertOneLineError(Run run, String expected) {
        assertThat(run.exit()).as(run.err()).isEqualTo(1);
        assertThat(run.err().lines()).as(run.err()).hasSize(1);
        assertThat(run.err()).contains(expected);
    }

    @Test
    void importRefusesAClassFileNamingAClassTwice() throws IOException {
        Path classes = Files.writeString(tmp.resolve("annotations.txt"), "a 0\nb 1\nc 2\nb 3\nd 4\n");
        Run imported = repvgg("import", "--weights", fixture("timm_deploy_G.safetensors"), "--out",
                tmp.resolve("model").toString(), "--image-size", "32", "--classes", classes.toString());
        assertThat(imported.exit()).isEqualTo(1);
        assertThat(imported.err()).contains(classes + ":4: class 'b' is already named on line 2");
        assertThat(tmp.resolve("model")).doesNotExist();
    }
}
