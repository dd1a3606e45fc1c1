package org.repvgg4j.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;

/** What the importer says about containers, prefixes and heads, and about files it cannot use. */
class CheckpointImporterTest {

    private static final CheckpointImporter.Hints NONE = CheckpointImporter.Hints.none();

    @TempDir
    Path tmp;

    private static CheckpointImporter.Hints arch(String spec) {
        return new CheckpointImporter.Hints(RepVggSpec.parse(spec), null, null);
    }

    @Test
    void unwrapsStateDictContainersAndTheDdpPrefix() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            ImportedCheckpoint ddp = CheckpointImporter.read(TorchFixtures.file("official_deploy_S.pth"), NONE, manager);
            assertThat(ddp.container()).isEqualTo("'state_dict'");
            assertThat(ddp.strippedPrefix()).isEqualTo("module.");
            assertThat(ddp.weights().keys()).contains("stage0.se.down.weight").noneMatch(k -> k.startsWith("module."));
            ImportedCheckpoint timm = CheckpointImporter.read(TorchFixtures.file("timm_deploy_G.pth"), NONE, manager);
            assertThat(timm.container()).isEqualTo("'model'");
            ImportedCheckpoint plain = CheckpointImporter.read(TorchFixtures.file("official_train_G.pth"), NONE, manager);
            assertThat(plain.container()).isEqualTo("top level");
            assertThat(plain.strippedPrefix()).isEmpty();
            assertThat(plain.weights().keys()).noneMatch(k -> k.endsWith("num_batches_tracked"));
            assertThat(plain.provenance()).containsEntry("source_layout", "official (detected)")
                    .containsEntry("source_arch", plain.spec().name() + " (detected from shapes)")
                    .containsEntry("source_format", "PyTorch zip checkpoint");
        }
    }

    @Test
    void freshHeadKeepsTheBackboneAndDrawsPyTorchsDefaultRange() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            ImportedCheckpoint imported = CheckpointImporter.read(TorchFixtures.file("timm_train_S.pth"), NONE, manager);
            ImportedCheckpoint refit = imported.withFreshHead(3, 7, manager);
            RepVgg net = refit.network(32, manager);
            assertThat(net.numClasses()).isEqualTo(3);
            StateDict loaded = NetworkWeights.of(net);
            assertThat(loaded.get("stage2.1.rbr_dense.conv.weight").toFloatArray())
                    .containsExactly(imported.weights().get("stage2.1.rbr_dense.conv.weight").toFloatArray());
            float bound = (float) (1 / Math.sqrt(16));
            assertThat(loaded.get("linear.weight").getShape().getShape()).containsExactly(3, 16);
            for (float w : loaded.get("linear.weight").toFloatArray()) {
                assertThat(Math.abs(w)).isLessThanOrEqualTo(bound);
            }
            float[] again = imported.withFreshHead(3, 7, manager).weights().get("linear.weight").toFloatArray();
            assertThat(again).containsExactly(loaded.get("linear.weight").toFloatArray());
        }
    }

    @Test
    void truncatedZipIsNamedAsSuch() throws IOException {
        byte[] whole = Files.readAllBytes(TorchFixtures.file("official_train_G.pth"));
        Path cut = tmp.resolve("cut.pth");
        Files.write(cut, Arrays.copyOf(whole, whole.length / 2));
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> CheckpointImporter.read(cut, NONE, manager))
                    .hasMessageStartingWith(cut + ": truncated or damaged zip file");
        }
    }

    @Test
    void truncatedSafetensorsNamesTheTensorCutOff() throws IOException {
        byte[] whole = Files.readAllBytes(TorchFixtures.file("official_train_G.safetensors"));
        Path cut = tmp.resolve("cut.safetensors");
        Files.write(cut, Arrays.copyOf(whole, whole.length - 10));
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> CheckpointImporter.read(cut, NONE, manager))
                    .hasMessageStartingWith(cut + ": truncated: tensor 'stage4.0.rbr_dense.conv.weight' ends at byte")
                    .hasMessageContaining("of a " + (whole.length - 10) + "-byte file");
        }
    }

    @Test
    void otherFilesAreNotMistakenForCheckpoints() throws IOException {
        Path text = tmp.resolve("notes.pth");
        Files.writeString(text, "hello, this is not a model\n");
        Path empty = tmp.resolve("empty.safetensors");
        Files.write(empty, new byte[0]);
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> CheckpointImporter.read(text, NONE, manager)).hasMessage(text
                    + ": not a PyTorch checkpoint (.pth zip) or a safetensors file (it starts with 68 65 6c 6c 6f 2c 20 74)");
            assertThatThrownBy(() -> CheckpointImporter.read(empty, NONE, manager))
                    .hasMessage(empty + ": empty file, not a checkpoint");
            assertThatThrownBy(() -> CheckpointImporter.read(tmp.resolve("absent.pth"), NONE, manager))
                    .hasMessageContaining("absent.pth");
            Path tensors = TorchFixtures.file("tensors.pth");
            assertThatThrownBy(() -> CheckpointImporter.read(tensors, NONE, manager))
                    .hasMessage(tensors + ": cannot tell whose key names these are (first key 'transposed'); "
                            + "pass --layout official|timm|mmcls");
        }
    }

    @Test
    void wholeModulesAndTorchScriptArchivesAreToldApartFromStateDicts() {
        Path module = TorchFixtures.file("whole_module.pth");
        Path scripted = TorchFixtures.file("torchscript.pt");
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> CheckpointImporter.read(module, NONE, manager)).hasMessage(module
                    + ": holds a pickled torch.nn.modules.linear.Linear object, not a state dict; in Python, "
                    + "torch.save(model.state_dict(), 'weights.pth') and import that");
            assertThatThrownBy(() -> CheckpointImporter.read(scripted, NONE, manager))
                    .hasMessageStartingWith(scripted + ": a TorchScript archive (torch.jit.save), not a state dict");
        }
    }

    @Test
    void legacyFormatGetsAdviceOnReSaving() {
        Path legacy = TorchFixtures.file("legacy.pth");
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> CheckpointImporter.read(legacy, NONE, manager))
                    .hasMessageContaining(legacy.toString())
                    .hasMessageContaining("legacy format (before 1.6)")
                    .hasMessageContaining("torch.save(torch.load(f), 'new.pth')")
                    .hasMessageContaining("_use_new_zipfile_serialization=True");
        }
    }

    @Test
    void keysOfAnotherArchNameTheFirstMissingAndFirstUnexpectedKey() throws IOException {
        Path file = TorchFixtures.file("official_train_G.pth");
        try (NDManager manager = NDManager.newBaseManager()) {
            ImportedCheckpoint other = CheckpointImporter.read(file,
                    arch("depths=2,3,1,1;widths=0.125,0.0625,0.03125,0.03125;groups=2"), manager);
            assertThatThrownBy(() -> other.network(32, manager))
                    .hasMessageStartingWith(file + ": keys do not match")
                    .hasMessageContaining("missing key 'stage2.2.rbr_identity.weight'")
                    .hasMessageContaining("unexpected key 'stage3.1.rbr_identity.weight'");
        }
    }

    @Test
    void translatedKeysAreAlsoNamedAsTheFileHasThem() throws IOException {
        Path file = TorchFixtures.file("timm_deploy_G.pth");
        try (NDManager manager = NDManager.newBaseManager()) {
            ImportedCheckpoint other = CheckpointImporter.read(file,
                    arch("depths=2,3,1,1;widths=0.125,0.0625,0.03125,0.03125;groups=2"), manager);
            assertThatThrownBy(() -> other.network(32, manager))
                    .hasMessageContaining("missing key 'stage2.2.rbr_reparam.weight'")
                    .hasMessageContaining("unexpected key 'stage3.1.rbr_reparam.weight'")
                    .hasMessageContaining("'stage3.1.rbr_reparam.weight' is 'stages.2.1.reparam_conv.weight' in the file");
        }
    }

    @Test
    void shapeMismatchNamesTheKeyAndBothShapes() throws IOException {
        Path file = TorchFixtures.file("official_train_G.pth");
        try (NDManager manager = NDManager.newBaseManager()) {
            ImportedCheckpoint wider = CheckpointImporter.read(file,
                    arch("depths=2,2,2,1;widths=0.25,0.0625,0.03125,0.03125;groups=2"), manager);
            assertThatThrownBy(() -> wider.network(32, manager))
                    .hasMessage(file + ": key 'stage0.rbr_dense.conv.weight' has shape (8, 3, 3, 3) but the "
                            + "depths=2,2,2,1;widths=0.25,0.0625,0.03125,0.03125;groups=2 train form with 5 classes "
                            + "expects (16, 3, 3, 3)");
        }
    }

    @Test
    void hintsThatContradictTheKeysAreRefused() {
        Path file = TorchFixtures.file("mmcls_deploy_S.pth");
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> CheckpointImporter.read(file, new CheckpointImporter.Hints(null, KeyLayout.TIMM, null), manager))
                    .hasMessage(file + ": --layout timm was given, but the keys are mmcls names "
                            + "(first key 'backbone.stem.se_layer.conv1.conv.weight')");
            assertThatThrownBy(() -> CheckpointImporter.read(file, new CheckpointImporter.Hints(null, null, Form.TRAIN), manager))
                    .hasMessage(file + ": holds deploy-form weights (rbr_reparam kernels) but --form train was given");
        }
    }
}
