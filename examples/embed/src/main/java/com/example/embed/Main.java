package com.example.embed;

import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.repvgg4j.api.ClassScore;
import org.repvgg4j.api.LoadOptions;
import org.repvgg4j.api.Prediction;
import org.repvgg4j.api.RepVggModel;

/**
 * Classifies images with a repvgg4j model directory twice, through repvgg4j's API and through DJL's
 * {@code Criteria}, prints the top-5 of both and exits with 1 if they name different classes.
 * Arguments: the model directory, then image files or folders (a folder gives the first five images
 * of each of its sub-folders).
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: Main MODEL_DIR IMAGE_OR_FOLDER...");
            System.exit(2);
        }
        Path modelDir = Path.of(args[0]);
        List<Path> images = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            images.addAll(imagesIn(Path.of(args[i])));
        }
        int disagreements = 0;
        // The same engine as DJL's route (PyTorch), so the two answers must match class for class.
        LoadOptions options = LoadOptions.defaults().withEngine("pytorch").withTopK(5);
        Criteria<Image, Classifications> criteria = Criteria.builder()
                .setTypes(Image.class, Classifications.class)
                .optModelPath(modelDir)
                .build();
        try (RepVggModel model = RepVggModel.load(modelDir, options);
                ZooModel<Image, Classifications> djlModel = criteria.loadModel();
                Predictor<Image, Classifications> predictor = djlModel.newPredictor()) {
            for (Path image : images) {
                Prediction ours = model.classify(image);
                List<Classifications.Classification> theirs = predictor.predict(ImageFactory.getInstance()
                        .fromFile(image)).topK();
                List<String> ourNames = ours.top().stream().map(ClassScore::label).toList();
                List<String> theirNames = theirs.stream().map(Classifications.Classification::getClassName).toList();
                boolean same = ourNames.equals(theirNames);
                disagreements += same ? 0 : 1;
                System.out.printf(Locale.ROOT, "%s %s%n  api:  %s%n  djl:  %s%n", same ? "same" : "DIFFERENT",
                        image.getFileName(),
                        ours.top().stream().map(c -> String.format(Locale.ROOT, "%s %.4f", c.label(), c.probability()))
                                .collect(Collectors.joining(", ")),
                        theirs.stream().map(c -> String.format(Locale.ROOT, "%s %.4f", c.getClassName(),
                                c.getProbability())).collect(Collectors.joining(", ")));
            }
        }
        System.out.printf(Locale.ROOT, "%d images, %d with a different top-5%n", images.size(), disagreements);
        System.exit(disagreements == 0 && !images.isEmpty() ? 0 : 1);
    }

    private static List<Path> imagesIn(Path path) throws IOException {
        if (!Files.isDirectory(path)) {
            return List.of(path);
        }
        List<Path> out = new ArrayList<>();
        try (Stream<Path> entries = Files.list(path)) {
            for (Path entry : entries.sorted().toList()) {
                if (Files.isDirectory(entry)) {
                    try (Stream<Path> files = Files.list(entry)) {
                        out.addAll(files.filter(Main::isImage).sorted().limit(5).toList());
                    }
                } else if (isImage(entry)) {
                    out.add(entry);
                }
            }
        }
        return out;
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
    }
}
