package org.repvgg4j.weights;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.repvgg4j.io.FileTrees;
import org.repvgg4j.model.RepVgg;

/**
 * A model on disk: {@code model.json} (architecture, form, classes, preprocessing, provenance)
 * beside {@code model.safetensors} (tensors under the official RepVGG key names), and {@code
 * serving.properties}, which tells DJL ({@code Criteria}, DJL Serving) how to load the two.
 */
public final class ModelDirectory {

    public static final String CONFIG_FILE = "model.json";
    public static final String WEIGHTS_FILE = "model.safetensors";
    public static final String SERVING_FILE = "serving.properties";
    /** The class names one per line, where DJL's image classification translator looks for them. */
    public static final String SYNSET_FILE = "synset.txt";

    /**
     * DJL's model-directory convention: the engine; the factory that builds our network from the files
     * above (DJL would otherwise look for a TorchScript {@code .pt}) and no DJL {@code .params} file to
     * read; for DJL Serving ({@code Input/Output}) our translator factory. For {@code Image ->
     * Classifications} DJL takes its own translator whatever this file says, so that one is told to
     * hand over the decoded pixels untouched ({@code toTensor=false}) and apply softmax: the block
     * does model.json's preprocessing itself. Class names are strings because the public API package
     * builds on this one, not the reverse.
     */
    static final String SERVING_PROPERTIES = """
            # How DJL (Criteria.optModelPath, DJL Serving) loads this directory; written by repvgg4j.
            engine=PyTorch
            blockFactory=org.repvgg4j.api.RepVggBlockFactory
            option.hasParameter=false
            translatorFactory=org.repvgg4j.api.RepVggTranslatorFactory
            toTensor=false
            applySoftmax=true
            synsetFileName=synset.txt
            """;

    private ModelDirectory() {}

    public static ModelConfig readConfig(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "model directory not found");
        }
        Path file = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "missing " + CONFIG_FILE);
        }
        return ModelConfig.fromJson(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    /**
     * Reads the directory and builds its network on {@code manager}, holding the stored weights; files
     * that do not match the checksums model.json records are refused ({@link WeightChecksums}).
     */
    public static LoadedModel load(Path dir, NDManager manager) throws IOException {
        ModelConfig config = readConfig(dir);
        Path weights = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(weights)) {
            throw new NoSuchFileException(weights.toString(), null, "missing " + WEIGHTS_FILE);
        }
        WeightChecksums.verify(dir);
        RepVgg net = new RepVgg(config.spec(), config.form(), config.numClasses());
        net.initialize(manager, config.preprocessing().inputSize());
        try (NDManager scratch = manager.newSubManager()) {
            StateDict stored = StateDict.readSafetensors(weights, scratch);
            NetworkWeights.load(net, stored, weights.toString());
        }
        return new LoadedModel(config, net);
    }

    /**
     * Writes a model directory atomically: everything goes to a hidden sibling first, which then
     * replaces {@code dir}. An existing directory is replaced only if it is a model directory.
     */
    public static void write(Path dir, ModelConfig config, StateDict weights) throws IOException {
        write(dir, config, weights, staging -> { });
    }

    /** Files written into the staging directory beside the model, replaced together with it. */
    @FunctionalInterface
    public interface ExtraFiles {
        void writeTo(Path staging) throws IOException;
    }

    /** As {@link #write(Path, ModelConfig, StateDict)}, with more files (a training checkpoint) in the same atomic swap. */
    public static void write(Path dir, ModelConfig config, StateDict weights, ExtraFiles extra) throws IOException {
        Path target = dir.toAbsolutePath().normalize();
        if (Files.exists(target) && !isReplaceable(target)) {
            throw new IOException(dir + " exists and is not a model directory; choose another --out");
        }
        Path parent = target.getParent();
        Files.createDirectories(parent);
        // createDirectory (not createTempDirectory, which is owner-only) so the model gets the
        // umask's usual permissions and others on the machine can read it.
        Path staging = Files.createDirectory(sibling(target, "writing"));
        try {
            weights.writeSafetensors(staging.resolve(WEIGHTS_FILE));
            Files.writeString(staging.resolve(SERVING_FILE), SERVING_PROPERTIES, StandardCharsets.UTF_8);
            Files.write(staging.resolve(SYNSET_FILE), config.classes(), StandardCharsets.UTF_8);
            extra.writeTo(staging);
            // Last, so that it can record the digest of every file beside it.
            Files.writeString(staging.resolve(CONFIG_FILE), WeightChecksums.record(config.toJson(), staging),
                    StandardCharsets.UTF_8);
            if (Files.exists(target)) {
                Path old = sibling(target, "old");
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
                FileTrees.delete(old);
            } else {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            }
        } finally {
            if (Files.exists(staging)) {
                FileTrees.delete(staging);
            }
        }
    }

    /** A hidden, unique name beside {@code target}: {@code .NAME.writing-<random>}. */
    private static Path sibling(Path target, String what) {
        return target.resolveSibling("." + target.getFileName() + "." + what + "-"
                + Long.toUnsignedString(java.util.concurrent.ThreadLocalRandom.current().nextLong(), 36));
    }

    private static boolean isReplaceable(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        if (Files.isRegularFile(dir.resolve(CONFIG_FILE))) {
            return true;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            return !entries.iterator().hasNext();
        }
    }
}
