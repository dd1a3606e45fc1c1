package org.repvgg4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeployTest {

    @TempDir
    Path tmp;

    @Test
    void convertedAndExportedModelsClassifyAsTheTrainForm() throws Exception {
        Path train = TinyModels.trainForm(tmp.resolve("train"), 21);
        Deploy.Check verified = Deploy.verify(train);
        assertThat(verified.holds()).isTrue();
        assertThat(verified.relativeDifference()).isLessThanOrEqualTo(verified.tolerance());
        Path deploy = tmp.resolve("deploy");
        assertThat(Deploy.convert(train, deploy).holds()).isTrue();
        assertThat(deploy.resolve("serving.properties")).exists();
        Path onnx = Deploy.export(deploy, ExportFormat.ONNX, null);
        Path pt = Deploy.export(train, ExportFormat.TORCHSCRIPT, tmp.resolve("out/tiny.pt"));
        assertThat(onnx).isEqualTo(deploy.resolve("model.onnx")).exists();
        assertThat(pt).exists();
        try (var leftovers = Files.list(tmp.resolve("out"))) {
            assertThat(leftovers).containsExactly(pt);
        }
        List<Path> images = TinyModels.images(1);
        LoadOptions options = LoadOptions.defaults().withRawScores(true);
        try (RepVggModel reference = RepVggModel.load(train, options.withEngine("pytorch"));
                RepVggModel deployed = RepVggModel.load(deploy, options.withEngine("pytorch"));
                RepVggModel fromOnnx = RepVggModel.load(onnx, options);
                RepVggModel fromTorchScript = RepVggModel.load(pt, options)) {
            assertThat(fromOnnx.engine()).isEqualTo("onnxruntime");
            assertThat(fromTorchScript.engine()).isEqualTo("pytorch");
            assertThat(fromTorchScript.classes()).isEqualTo(reference.classes());
            for (Path image : images) {
                float[] want = reference.classify(image).logits();
                double scale = 0;
                for (float v : want) {
                    scale = Math.max(scale, Math.abs(v));
                }
                float tolerance = (float) (1e-4 * scale);
                for (RepVggModel other : List.of(deployed, fromOnnx, fromTorchScript)) {
                    assertThat(other.classify(image).logits()).containsExactly(want, within(tolerance));
                }
            }
        }
    }

    @Test
    void convertRefusesToOverwriteTheTrainModel() throws Exception {
        Path train = TinyModels.trainForm(tmp.resolve("train"), 22);
        assertThatThrownBy(() -> Deploy.convert(train, train)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("train model is kept");
    }
}
