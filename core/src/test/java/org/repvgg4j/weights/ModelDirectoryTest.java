package org.repvgg4j.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.reparam.EquivalenceCheck;

class ModelDirectoryTest {

    private static final RepVggSpec TINY = RepVggSpec.parse("depths=1,2,1,1;widths=0.25,0.25,0.25,0.25;groups=2;se=true");

    @TempDir
    Path tmp;

    private static ModelConfig config(Form form) {
        return new ModelConfig(TINY, form, List.of("cat", "dog", "hot dog"), Preprocessing.imagenet(32),
                Map.of("created_by", "test"));
    }

    private static Path writeTiny(Path dir, NDManager manager) throws IOException {
        RepVgg net = new RepVgg(TINY, Form.TRAIN, 3);
        net.initialize(manager, 32);
        EquivalenceCheck.randomizeBatchNorms(NetworkWeights.of(net), 3);
        ModelDirectory.write(dir, config(Form.TRAIN), NetworkWeights.of(net));
        return dir;
    }

    @Test
    void savingAndLoadingRoundTripsBitExactly() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            RepVgg net = new RepVgg(TINY, Form.TRAIN, 3);
            net.initialize(manager, 32);
            EquivalenceCheck.randomizeBatchNorms(NetworkWeights.of(net), 3);
            Path dir = tmp.resolve("m");
            ModelDirectory.write(dir, config(Form.TRAIN), NetworkWeights.of(net));

            LoadedModel loaded = ModelDirectory.load(dir, manager);
            assertThat(loaded.config()).isEqualTo(config(Form.TRAIN));
            StateDict before = NetworkWeights.of(net);
            StateDict after = NetworkWeights.of(loaded.network());
            assertThat(after.keys()).containsExactlyElementsOf(before.keys());
            for (String key : before.keys()) {
                assertThat(after.get(key).toFloatArray()).as(key).containsExactly(before.get(key).toFloatArray());
            }
            NDArray x = EquivalenceCheck.randomInput(manager, 2, 32, 5);
            assertThat(loaded.network().infer(x).toFloatArray()).containsExactly(net.infer(x).toFloatArray());
        }
    }

    @Test
    void safetensorsFileHoldsOfficialKeysReadableWithoutDjl() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Path dir = writeTiny(tmp.resolve("m"), manager);
            byte[] bytes = Files.readAllBytes(dir.resolve(ModelDirectory.WEIGHTS_FILE));
            long headerLength = java.nio.ByteBuffer.wrap(bytes, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
            String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
            var json = com.google.gson.JsonParser.parseString(header).getAsJsonObject();
            assertThat(json.keySet()).contains("stage0.rbr_dense.conv.weight", "stage2.1.rbr_identity.running_var",
                    "stage2.0.se.down.weight", "linear.weight");
            assertThat(json.getAsJsonObject("linear.weight").get("dtype").getAsString()).isEqualTo("F32");
            assertThat(json.getAsJsonObject("linear.weight").getAsJsonArray("shape").toString()).isEqualTo("[3,128]");
        }
    }

    @Test
    void missingFilesAreNamed() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> ModelDirectory.load(tmp.resolve("nowhere"), manager))
                    .isInstanceOf(NoSuchFileException.class).hasMessageContaining("nowhere");
            Path dir = writeTiny(tmp.resolve("m"), manager);
            Files.delete(dir.resolve("model.safetensors"));
            assertThatThrownBy(() -> ModelDirectory.load(dir, manager))
                    .isInstanceOf(NoSuchFileException.class).hasMessageContaining("model.safetensors");
            Files.delete(dir.resolve("model.json"));
            assertThatThrownBy(() -> ModelDirectory.load(dir, manager))
                    .isInstanceOf(NoSuchFileException.class).hasMessageContaining("model.json");
        }
    }

    @Test
    void missingAndUnexpectedKeysAreNamed() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Path dir = writeTiny(tmp.resolve("m"), manager);
            Path file = dir.resolve("model.safetensors");
            StateDict stored = StateDict.readSafetensors(file, manager);
            StateDict edited = new StateDict();
            stored.asMap().forEach((k, v) -> edited.put(k.equals("stage2.0.rbr_1x1.bn.bias") ? "stage2.0.rbr_1x1.bn.beta" : k, v));
            edited.writeSafetensors(file);
            forgetChecksums(dir);
            assertThatThrownBy(() -> ModelDirectory.load(dir, manager))
                    .hasMessageContaining(file.toString())
                    .hasMessageContaining("missing key 'stage2.0.rbr_1x1.bn.bias'")
                    .hasMessageContaining("unexpected key 'stage2.0.rbr_1x1.bn.beta'");
        }
    }

    @Test
    void optionalNumBatchesTrackedIsAccepted() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Path dir = writeTiny(tmp.resolve("m"), manager);
            Path file = dir.resolve("model.safetensors");
            StateDict stored = StateDict.readSafetensors(file, manager);
            stored.put("stage0.rbr_dense.bn.num_batches_tracked", manager.create(new long[] {100}).reshape(new Shape()));
            stored.writeSafetensors(file);
            forgetChecksums(dir);
            assertThat(ModelDirectory.load(dir, manager).network().numClasses()).isEqualTo(3);
        }
    }

    @Test
    void wrongShapeNamesKeyAndBothShapes() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Path dir = writeTiny(tmp.resolve("m"), manager);
            Path file = dir.resolve("model.safetensors");
            StateDict stored = StateDict.readSafetensors(file, manager);
            stored.put("linear.weight", manager.zeros(new Shape(5, 128)));
            stored.writeSafetensors(file);
            forgetChecksums(dir);
            assertThatThrownBy(() -> ModelDirectory.load(dir, manager))
                    .hasMessageContaining("'linear.weight'")
                    .hasMessageContaining("(5, 128)")
                    .hasMessageContaining("(3, 128)");
        }
    }

    @Test
    void unknownArchAndBadJsonAreReportedWithTheFile() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Path dir = writeTiny(tmp.resolve("m"), manager);
            Path json = dir.resolve("model.json");
            String original = Files.readString(json);
            Files.writeString(json, original.replace("\"arch\": \"" + TINY.name() + "\"", "\"arch\": \"Z9\""));
            assertThatThrownBy(() -> ModelDirectory.load(dir, manager))
                    .hasMessageContaining("model.json").hasMessageContaining("unknown RepVGG arch 'Z9'");
            Files.writeString(json, "{ not json");
            assertThatThrownBy(() -> ModelDirectory.load(dir, manager))
                    .hasMessageContaining("model.json").hasMessageContaining("not valid JSON");
            Files.writeString(json, original.replace("\"form\": \"train\",", ""));
            assertThatThrownBy(() -> ModelDirectory.load(dir, manager)).hasMessageContaining("missing field 'form'");
        }
    }

    @Test
    void corruptWeightsFileIsNamed() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Path dir = writeTiny(tmp.resolve("m"), manager);
            Path file = dir.resolve("model.safetensors");
            byte[] bytes = Files.readAllBytes(file);
            Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 2));
            assertThatThrownBy(() -> ModelDirectory.load(dir, manager)).hasMessageContaining(file.toString());
        }
    }

    @Test
    void writingReplacesAModelDirectoryButNeverOtherFolders() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Path dir = writeTiny(tmp.resolve("m"), manager);
            writeTiny(dir, manager);
            assertThat(Files.list(tmp).map(p -> p.getFileName().toString()).toList()).containsExactly("m");

            Path notAModel = tmp.resolve("photos");
            Files.createDirectories(notAModel);
            Files.writeString(notAModel.resolve("holiday.jpg"), "not really");
            assertThatThrownBy(() -> writeTiny(notAModel, manager)).hasMessageContaining("not a model directory");
            assertThat(notAModel.resolve("holiday.jpg")).exists();
        }
    }

    /** Makes {@code dir} a directory written by hand or before checksums: model.json records none. */
    private static void forgetChecksums(Path dir) throws IOException {
        Path config = dir.resolve(ModelDirectory.CONFIG_FILE);
        com.google.gson.JsonObject json = com.google.gson.JsonParser.parseString(java.nio.file.Files.readString(config))
                .getAsJsonObject();
        json.remove(WeightChecksums.FIELD);
        java.nio.file.Files.writeString(config, json.toString());
    }

    @Test
    void modelJsonRecordsEveryFileWrittenBesideItAndLoadRefusesAnEditedOne() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Path dir = tmp.resolve("checkpoint");
            StateDict weights = NetworkWeights.of(ModelDirectory.load(writeTiny(tmp.resolve("m"), manager), manager).network());
            ModelConfig config = ModelDirectory.readConfig(tmp.resolve("m"));
            ModelDirectory.write(dir, config, weights,
                    staging -> java.nio.file.Files.writeString(staging.resolve("state.json"), "{}"));
            assertThat(WeightChecksums.verify(dir)).containsExactly("model.safetensors", "serving.properties", "state.json", "synset.txt");
            java.nio.file.Files.writeString(dir.resolve("state.json"), "{ }");
            assertThatThrownBy(() -> ModelDirectory.load(dir, manager))
                    .hasMessageStartingWith(dir.resolve("state.json") + ": damaged or changed since it was written");
        }
    }
}
