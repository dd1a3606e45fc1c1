package org.repvgg4j.infer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repvgg4j.export.OnnxExporter;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.NetworkWeights;
import org.repvgg4j.weights.Preprocessing;

class OnnxRuntimeRunnerTest {

    @TempDir
    Path tmp;

    private static byte[] tinyModel(int classes) {
        RepVggSpec spec = RepVggSpec.parse("depths=1,1,1,1;widths=0.125,0.125,0.125,0.125");
        try (NDManager manager = NDManager.newBaseManager()) {
            RepVgg net = new RepVgg(spec, Form.DEPLOY, classes);
            net.initialize(manager, 32);
            ModelConfig config = new ModelConfig(spec, Form.DEPLOY, ModelConfig.numberedClasses(classes),
                    Preprocessing.imagenet(32), Map.of());
            return OnnxExporter.toBytes(config, NetworkWeights.of(net));
        }
    }

    @Test
    void runsAFileWithTheConfiguredThreads() throws Exception {
        Path file = tmp.resolve("tiny.onnx");
        Files.write(file, tinyModel(4));
        try (OnnxRuntimeRunner ort = OnnxRuntimeRunner.open(file, 2)) {
            assertThat(ort.intraOpThreads()).isEqualTo(2);
            assertThat(ort.inputName()).isEqualTo("input");
            assertThat(ort.run(new float[2 * 3 * 32 * 32], 2)).hasDimensions(2, 4);
        }
    }

    @Test
    void reusedInputBuffersNeverMixBatches() throws Exception {
        // Batches of 3, 1 and 3 images share the runner's native input buffer; each image's logits
        // must be what it gets alone in a fresh runner, and a smaller batch must not see the tail
        // of a larger one.
        byte[] model = tinyModel(5);
        int image = 3 * 32 * 32;
        float[] three = new float[3 * image];
        for (int i = 0; i < three.length; i++) {
            three[i] = (float) Math.sin(0.37 * i);
        }
        float[] one = Arrays.copyOfRange(three, image, 2 * image);
        float[][] alone;
        try (OnnxRuntimeRunner fresh = OnnxRuntimeRunner.open(model, 1)) {
            alone = fresh.run(one, 1);
        }
        try (OnnxRuntimeRunner ort = OnnxRuntimeRunner.open(model, 1)) {
            float[][] first = ort.run(three, 3);
            float[][] middle = ort.run(one, 1);
            float[][] last = ort.run(three, 3);
            assertThat(middle).hasDimensions(1, 5);
            assertThat(middle[0]).containsExactly(alone[0]);
            assertThat(first[1]).containsExactly(alone[0], offset(1e-5f));
            assertThat(last).isDeepEqualTo(first);
            assertThat(first[0]).isNotEqualTo(first[1]);
        }
    }

    @Test
    void noThreadCountMeansOnePerProcessor() throws Exception {
        // Not ONNX Runtime's own default, which ran one thread on our 2-vCPU machine.
        try (OnnxRuntimeRunner ort = OnnxRuntimeRunner.open(tinyModel(2), 0)) {
            assertThat(ort.intraOpThreads()).isEqualTo(Runtime.getRuntime().availableProcessors());
        }
    }

    @Test
    void aWrongInputSizeIsRefusedWithBothCounts() throws Exception {
        try (OnnxRuntimeRunner ort = OnnxRuntimeRunner.open(tinyModel(3), 1)) {
            assertThatThrownBy(() -> ort.run(new float[3 * 32 * 32], 2))
                    .hasMessage("input has 3072 values, but a batch of 2 at [3, 32, 32] needs 6144");
        }
    }

    @Test
    void aMissingOrBrokenFileIsNamed() throws Exception {
        Path missing = tmp.resolve("missing.onnx");
        assertThatThrownBy(() -> OnnxRuntimeRunner.open(missing, 1))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("missing.onnx");

        Path broken = tmp.resolve("broken.onnx");
        Files.writeString(broken, "not a protobuf");
        assertThatThrownBy(() -> OnnxRuntimeRunner.open(broken, 1))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith(broken + ": ONNX Runtime cannot load the model");

        assertThatThrownBy(() -> OnnxRuntimeRunner.open(tinyModel(2), -1))
                .hasMessageContaining("intra-op threads must be >= 0");
    }
}
