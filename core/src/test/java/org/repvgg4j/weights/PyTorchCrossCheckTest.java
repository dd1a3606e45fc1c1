package org.repvgg4j.weights;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.repvgg4j.io.Npy;
import org.repvgg4j.io.NpyArray;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;

/**
 * Every checkpoint tools/torch_reference.py wrote -- official, timm and mmcls names, train and
 * deploy form, zip .pth and safetensors, float32/float16/bfloat16, plain and wrapped -- imports
 * without hints and gives PyTorch's logits on PyTorch's input within 1e-4 of the logit scale.
 */
class PyTorchCrossCheckTest {

    static Stream<TorchFixtures.Row> fixtures() {
        return TorchFixtures.manifest().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void importedCheckpointReproducesPyTorchLogits(TorchFixtures.Row row) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            ImportedCheckpoint imported = CheckpointImporter.read(
                    TorchFixtures.file(row.file()), CheckpointImporter.Hints.none(), manager);
            assertThat(imported.layout()).isEqualTo(KeyLayout.parse(row.layout()));
            assertThat(imported.form()).isEqualTo(Form.parse(row.form()));
            assertThat(imported.spec()).isEqualTo(RepVggSpec.parse(row.arch()));
            assertThat(imported.headClasses()).hasValue(row.numClasses());

            RepVgg net = imported.network(32, manager);
            NpyArray input = Npy.read(TorchFixtures.file("input.npy"));
            float[] ours = net.infer(input.toFloat32(manager)).toFloatArray();
            NpyArray expected = Npy.read(TorchFixtures.file(row.logits()));
            assertThat(expected.shape()).containsExactly(2, row.numClasses());
            float[] theirs = expected.toFloats();
            double maxDiff = 0;
            double scale = 0;
            for (int i = 0; i < theirs.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
                scale = Math.max(scale, Math.abs(theirs[i]));
            }
            System.out.printf(java.util.Locale.ROOT, "%-30s max |ours - PyTorch| = %.3g, max |PyTorch| = %.3g, relative %.3g%n",
                    row.file(), maxDiff, scale, maxDiff / scale);
            assertThat(scale).as("logit scale").isGreaterThan(0.05);
            assertThat(maxDiff).as("max |ours - PyTorch| against max |PyTorch| = %s", scale)
                    .isLessThanOrEqualTo(1e-4 * scale);
        }
    }
}
