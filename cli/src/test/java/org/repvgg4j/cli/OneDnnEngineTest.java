package org.repvgg4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.repvgg4j.cli.CommandsTest.predictScores;
import static org.repvgg4j.cli.CommandsTest.repvgg;

import java.nio.file.Files;
import java.nio.file.Path;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repvgg4j.cli.CommandsTest.Run;

class OneDnnEngineTest {

    private static final String PLAIN = "depths=1,2,3,1;widths=0.25,0.25,0.25,0.25";

    @TempDir
    Path tmp;

    private Path init(String arch) {
        Path model = tmp.resolve("model-" + Math.abs(arch.hashCode()));
        Run init = repvgg("init", "--arch", arch, "--classes", "3", "--image-size", "32", "--out", model.toString());
        assertThat(init.exit()).as(init.err()).isZero();
        return model;
    }

    @Test
    void predictsWhatPyTorchPredictsFromATrainFormDirectory() throws Exception {
        Path model = init(PLAIN);
        Path images = StripeImages.write(tmp.resolve("stripes"), 3, 3);
        String[] photos;
        try (var files = Files.walk(images)) {
            photos = files.filter(f -> f.toString().endsWith(".png")).sorted().map(Path::toString).toArray(String[]::new);
        }
        assertThat(photos).hasSize(6);

        Run onednn = repvgg(args(model, "onednn", photos));
        Run pytorch = repvgg(args(model, "pytorch", photos));

        assertThat(onednn.exit()).as(onednn.err()).isZero();
        assertThat(pytorch.exit()).as(pytorch.err()).isZero();
        assertThat(predictScores(onednn.out())).hasSize(18)
                .containsExactly(predictScores(pytorch.out()), Offset.offset(1e-5));
    }

    private static String[] args(Path model, String engine, String[] photos) {
        String[] head = {"predict", "--model", model.toString(), "--engine", engine, "--json", "--top", "3",
            "--batch", "4"};
        String[] all = java.util.Arrays.copyOf(head, head.length + photos.length);
        System.arraycopy(photos, 0, all, head.length, photos.length);
        return all;
    }

    @Test
    void refusesSqueezeExcitationAndOnnxFilesNamingTheWayOut() throws Exception {
        Path se = init("depths=1,1,1,1;widths=0.25,0.25,0.25,0.25;se=true");
        Path image = StripeImages.write(tmp.resolve("stripes"), 1, 1).resolve("horizontal/000.png");

        Run run = repvgg("predict", "--model", se.toString(), "--engine", "onednn", image.toString());
        assertThat(run.exit()).isNotZero();
        assertThat(run.err()).contains("squeeze-excitation", "--engine onnxruntime");

        // Without --engine an SE model runs on ONNX Runtime wherever onednn would be the default.
        Run byDefault = repvgg("predict", "--model", se.toString(), image.toString());
        assertThat(byDefault.exit()).as(byDefault.err()).isZero();

        Path plain = init(PLAIN);
        assertThat(repvgg("export", "--model", plain.toString()).exit()).isZero();
        Run onnx = repvgg("predict", "--model", plain.resolve("model.onnx").toString(), "--engine", "onednn",
                image.toString());
        assertThat(onnx.exit()).isNotZero();
        assertThat(onnx.err()).contains("runs on --engine onnxruntime only (onednn takes a model directory)");
    }
}
