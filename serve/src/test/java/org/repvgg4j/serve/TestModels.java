package org.repvgg4j.serve;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.repvgg4j.data.ImageDecoder;
import org.repvgg4j.data.ImageTransform;
import org.repvgg4j.infer.BatchInference;
import org.repvgg4j.infer.Classifier;
import org.repvgg4j.infer.Engine;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.reparam.EquivalenceCheck;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.ModelDirectory;
import org.repvgg4j.weights.NetworkWeights;
import org.repvgg4j.weights.Preprocessing;

/** A tiny random RepVGG over the demo's ten Fashion-MNIST classes, the demo's images, and the expected answers. */
final class TestModels {

    static final RepVggSpec TINY = RepVggSpec.parse("depths=1,1,1,1;widths=0.125,0.125,0.125,0.25");
    static final Path DEMO = Path.of("../examples/fashion-mnist").toAbsolutePath().normalize();
    static final int SIZE = 32;

    private TestModels() {}

    static List<String> classes() {
        try (Stream<Path> dirs = Files.list(DEMO)) {
            return dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A train-form model with random weights and batch-norm statistics, so classes score differently. */
    static Path tinyModel(Path dir) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            RepVgg net = new RepVgg(TINY, Form.TRAIN, classes().size());
            net.initialize(manager, SIZE);
            EquivalenceCheck.randomizeBatchNorms(NetworkWeights.of(net), 5);
            ModelDirectory.write(dir, new ModelConfig(TINY, Form.TRAIN, classes(), Preprocessing.imagenet(SIZE), Map.of()),
                    NetworkWeights.of(net));
        }
        return dir;
    }

    /** The first {@code perClass} demo images of each class. */
    static List<Path> images(int perClass) throws IOException {
        List<Path> out = new ArrayList<>();
        for (String c : classes()) {
            try (Stream<Path> files = Files.list(DEMO.resolve(c))) {
                out.addAll(files.sorted().limit(perClass).toList());
            }
        }
        return out;
    }

    /** A labelled list of the images and a {@code repvgg batch} run of the model over it. */
    static void batchResults(Path model, List<Path> images, Path list, Path out) throws Exception {
        List<String> lines = new ArrayList<>();
        for (Path image : images) {
            lines.add(image + " " + classes().indexOf(image.getParent().getFileName().toString()));
        }
        Files.write(list, lines);
        try (Classifier classifier = Classifier.open(model, Classifier.Options.of(Engine.PYTORCH))) {
            new BatchInference(classifier, new BatchInference.Options(4, 2, 3))
                    .run(BatchInference.shards(List.of(list)), out, (written, total, errors) -> { });
        }
    }

    /** The logits of one image through the classifier directly, one image at a time: what the server must answer. */
    static float[] expectedLogits(Classifier classifier, Path image) throws IOException {
        float[] input = ImageTransform.eval(classifier.preprocessing()).apply(ImageDecoder.read(image), null);
        return classifier.logits(input, 1)[0];
    }
}
