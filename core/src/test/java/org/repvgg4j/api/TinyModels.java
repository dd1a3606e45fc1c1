package org.repvgg4j.api;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.reparam.EquivalenceCheck;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.ModelDirectory;
import org.repvgg4j.weights.NetworkWeights;
import org.repvgg4j.weights.Preprocessing;

/** Small models and the demo's images for the public API's tests. */
final class TinyModels {

    static final RepVggSpec TINY = RepVggSpec.parse("depths=1,1,1,1;widths=0.125,0.125,0.125,0.25");
    static final Path FASHION = Path.of("../examples/fashion-mnist").toAbsolutePath().normalize();

    private TinyModels() {
    }

    /** The demo's class folders, sorted: the classes of {@link #trainForm}. */
    static List<String> classes() throws IOException {
        try (Stream<Path> dirs = Files.list(FASHION)) {
            return dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** The first {@code perClass} images of every demo class, class by class. */
    static List<Path> images(int perClass) throws IOException {
        List<Path> out = new java.util.ArrayList<>();
        for (String c : classes()) {
            try (Stream<Path> files = Files.list(FASHION.resolve(c))) {
                out.addAll(files.sorted().limit(perClass).toList());
            }
        }
        return out;
    }

    /**
     * A train-form model over the demo's classes with random weights and batch-norm statistics, so that
     * every route that converts it has real work to do; 32x32 input (resize 37, center crop 32).
     */
    static Path trainForm(Path dir, long seed) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed((int) seed);
            List<String> classes = classes();
            RepVgg net = new RepVgg(TINY, Form.TRAIN, classes.size());
            net.initialize(manager, 32);
            EquivalenceCheck.randomizeBatchNorms(NetworkWeights.of(net), seed);
            ModelDirectory.write(dir, new ModelConfig(TINY, Form.TRAIN, classes, Preprocessing.imagenet(32), Map.of()),
                    NetworkWeights.of(net));
        }
        return dir;
    }
}
