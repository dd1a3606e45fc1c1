package org.repvgg4j.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonParser;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.repvgg4j.infer.TorchScriptScorer;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.reparam.Equivalence;
import org.repvgg4j.weights.LoadedModel;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.NetworkWeights;
import org.repvgg4j.weights.StateDict;

class TorchScriptExporterTest {

    private static final RepVggSpec GROUPED_SE = OnnxExporterTest.GROUPED_SE;

    static Stream<Arguments> variants() {
        return Stream.of(Arguments.of(GROUPED_SE, 32), Arguments.of(OnnxExporterTest.SMALL_A0, 48));
    }

    private static Path write(LoadedModel deploy, Path dir) throws Exception {
        Path file = dir.resolve("model.pt");
        Files.write(file, TorchScriptExporter.toBytes(deploy.config(), NetworkWeights.of(deploy.network())));
        return file;
    }

    @ParameterizedTest(name = "{0} at {1}x{1}")
    @MethodSource("variants")
    void libtorchLoadsTheArchiveAndItGivesOurLogits(RepVggSpec spec, int size, @TempDir Path dir) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedModel deploy = OnnxExporterTest.deployModel(spec, size, ModelConfig.numberedClasses(10), manager);
            try (TorchScriptScorer scorer = TorchScriptScorer.open(write(deploy, dir))) {
                Equivalence eq = ExportCheck.compare(deploy.network(), scorer, size, 3, 17, 1e-4, manager);

                assertThat(eq.maxAbsOutput()).as("logits are not trivially zero").isGreaterThan(1e-3);
                assertThat(eq.maxAbsDifference()).as(ExportCheck.describe(eq, 3, "torchscript"))
                        .isLessThanOrEqualTo(1e-5 * eq.maxAbsOutput());
            }
        }
    }

    @ParameterizedTest(name = "{0} at {1}x{1}")
    @MethodSource("variants")
    void bf16ArchiveHoldsHalfTheBytesAndRunsInBf16WithinTheTolerance(RepVggSpec spec, int size) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedModel deploy = OnnxExporterTest.deployModel(spec, size, ModelConfig.numberedClasses(10), manager);
            StateDict weights = NetworkWeights.of(deploy.network());
            byte[] fp32 = TorchScriptExporter.toBytes(deploy.config(), weights);
            byte[] bf16 = TorchScriptExporter.toBytes(deploy.config(), weights, Precision.BF16);

            assertThat(dataBytes(bf16)).isEqualTo(dataBytes(fp32) / 2);
            try (TorchScriptScorer scorer = TorchScriptScorer.open(bf16, "bf16 archive")) {
                Equivalence eq = ExportCheck.compare(deploy.network(), scorer, size, 3, 17,
                        TorchScriptExporter.BF16_TOLERANCE, manager);

                assertThat(eq.maxAbsOutput()).as("logits are not trivially zero").isGreaterThan(1e-3);
                String described = ExportCheck.describe(eq, 3, "torchscript bf16");
                assertThat(eq.holds()).as(described).isTrue();
                // Rounded to 8 significant bits, the logits cannot match float32's as closely as fp32 does.
                assertThat(eq.maxAbsDifference()).as("ran in bf16: " + described)
                        .isGreaterThan(1e-4 * eq.maxAbsOutput());
            }
        }
    }

    /** The bytes of the archive's tensor files, {@code data/<i>}. */
    private static long dataBytes(byte[] archive) throws Exception {
        long total = 0;
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(archive))) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                long size = zip.readAllBytes().length;
                if (e.getName().startsWith("repvgg/data/")) {
                    total += size;
                }
            }
        }
        return total;
    }

    @Test
    void archiveIsStoredAlignedAndCarriesTheClassesAndPreprocessing() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedModel deploy = OnnxExporterTest.deployModel(GROUPED_SE, 32, List.of("cat", "dog", "eel"), manager);
            byte[] bytes = TorchScriptExporter.toBytes(deploy.config(), NetworkWeights.of(deploy.network()));

            List<String> names = new ArrayList<>();
            String metadata = null;
            String code = null;
            try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(bytes))) {
                for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                    names.add(e.getName());
                    assertThat(e.getMethod()).as(e.getName()).isEqualTo(ZipEntry.STORED);
                    byte[] data = zip.readAllBytes();
                    if (e.getName().endsWith("/extra/repvgg.json")) {
                        metadata = new String(data, StandardCharsets.UTF_8);
                    } else if (e.getName().endsWith("/code/__torch__.py")) {
                        code = new String(data, StandardCharsets.UTF_8);
                    }
                }
            }
            assertThat(names).allMatch(n -> n.startsWith("repvgg/"))
                    .contains("repvgg/data.pkl", "repvgg/constants.pkl", "repvgg/version", "repvgg/data/0");
            var meta = JsonParser.parseString(metadata).getAsJsonObject();
            assertThat(meta.get("classes").getAsString()).isEqualTo("[\"cat\",\"dog\",\"eel\"]");
            assertThat(meta.get("input_size").getAsString()).isEqualTo("32");
            assertThat(code).contains("stage1_0_rbr_reparam_weight : Tensor", "torch.sigmoid", "torch.linear");
            // Each file's data begins at a multiple of 64 bytes: find every stored file's data offset.
            for (int offset = 0; offset + 30 < bytes.length; ) {
                if (bytes[offset] != 'P' || bytes[offset + 1] != 'K' || bytes[offset + 2] != 3 || bytes[offset + 3] != 4) {
                    break; // the central directory
                }
                int nameLength = (bytes[offset + 26] & 0xff) | (bytes[offset + 27] & 0xff) << 8;
                int extraLength = (bytes[offset + 28] & 0xff) | (bytes[offset + 29] & 0xff) << 8;
                int size = (bytes[offset + 18] & 0xff) | (bytes[offset + 19] & 0xff) << 8
                        | (bytes[offset + 20] & 0xff) << 16 | (bytes[offset + 21] & 0xff) << 24;
                int data = offset + 30 + nameLength + extraLength;
                assertThat(data % 64).as("data offset of entry at " + offset).isZero();
                offset = data + size;
            }
        }
    }

    @Test
    void refusesTrainFormAndWeightsOfAnotherNetwork() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedModel deploy = OnnxExporterTest.deployModel(GROUPED_SE, 32, ModelConfig.numberedClasses(4), manager);
            StateDict weights = NetworkWeights.of(deploy.network());

            assertThatThrownBy(() -> TorchScriptExporter.toBytes(deploy.config().withForm(Form.TRAIN), weights))
                    .hasMessageContaining("only the deploy form");
            StateDict missing = new StateDict();
            weights.keys().stream().filter(k -> !k.equals("stage2.0.rbr_reparam.bias")).forEach(k -> missing.put(k, weights.get(k)));
            assertThatThrownBy(() -> TorchScriptExporter.toBytes(deploy.config(), missing))
                    .hasMessageContaining("missing key 'stage2.0.rbr_reparam.bias'");
            StateDict extra = new StateDict();
            weights.keys().forEach(k -> extra.put(k, weights.get(k)));
            extra.put("stage5.0.rbr_reparam.weight", manager.zeros(new ai.djl.ndarray.types.Shape(1)));
            assertThatThrownBy(() -> TorchScriptExporter.toBytes(deploy.config(), extra))
                    .hasMessageContaining("unexpected key 'stage5.0.rbr_reparam.weight'");
        }
    }
}
