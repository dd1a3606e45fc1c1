package org.repvgg4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingTest {

    @TempDir
    Path tmp;

    private Path list(String name, List<Path> images, List<String> classes) throws IOException {
        StringBuilder text = new StringBuilder();
        for (Path image : images) {
            text.append(image).append(' ').append(classes.indexOf(image.getParent().getFileName().toString()))
                    .append('\n');
        }
        return Files.writeString(tmp.resolve(name), text, StandardCharsets.UTF_8);
    }

    @Test
    void aRunReportsEachEpochAndLeavesADeployModelThatDjlAndTheApiLoad() throws Exception {
        List<String> classes = TinyModels.classes();
        StringBuilder annotations = new StringBuilder();
        for (int i = 0; i < classes.size(); i++) {
            annotations.append(classes.get(i)).append(' ').append(i).append('\n');
        }
        Path classFile = Files.writeString(tmp.resolve("annotations.txt"), annotations);
        List<Path> images = TinyModels.images(2);
        Path train = list("train.txt", images, classes);
        Path val = list("val.txt", images.subList(0, 10), classes);
        List<Training.Epoch> epochs = new ArrayList<>();
        List<String> defaultMessages = new ArrayList<>();
        int[] batches = {0};
        Training.Result result = Training.builder(train, val, classFile)
                .arch("depths=1,1,1,1;widths=0.125,0.125,0.125,0.25").imageSize(32).epochs(2).batchSize(8).workers(1)
                .listener(new Training.Listener() {
                    @Override
                    public void batch(int epoch, int batch, int count, double loss, double imagesPerSecond) {
                        batches[0]++;
                    }

                    @Override
                    public void epoch(Training.Epoch epoch, boolean best) {
                        epochs.add(epoch);
                    }

                    @Override
                    public void message(String line) {
                        defaultMessages.add(line);
                    }
                })
                .run(tmp.resolve("run"));
        assertThat(epochs).extracting(Training.Epoch::epoch).containsExactly(1, 2);
        assertThat(result.history()).isEqualTo(epochs);
        assertThat(batches[0]).isEqualTo(2 * (20 / 8));   // the last, partial batch is dropped in training
        assertThat(result.deployDifference()).isLessThanOrEqualTo(1e-4);
        assertThat(result.deployModel()).isEqualTo(tmp.resolve("run/deploy"));
        Criteria<Image, Classifications> criteria = Criteria.builder().setTypes(Image.class, Classifications.class)
                .optModelPath(result.deployModel()).build();
        try (RepVggModel model = RepVggModel.load(result.deployModel(), LoadOptions.defaults().withEngine("pytorch"));
                ZooModel<Image, Classifications> zoo = criteria.loadModel();
                Predictor<Image, Classifications> predictor = zoo.newPredictor()) {
            Path image = images.get(0);
            List<Classifications.Classification> top = predictor.predict(ImageFactory.getInstance().fromFile(image))
                    .topK();
            assertThat(top).extracting(Classifications.Classification::getClassName)
                    .isEqualTo(model.classify(image).top().stream().map(ClassScore::label).toList());
        }
        assertThatThrownBy(() -> Training.builder(train, val, classFile).epochs(1).run(tmp.resolve("run")))
                .isInstanceOf(IOException.class).hasMessageContaining("already holds a training run");

        // The engine as --engine chooses it: the default ran the oneDNN graph; pytorch asks for libtorch.
        List<String> messages = new ArrayList<>();
        Training.builder(train, val, classFile).arch("depths=1,1,1,1;widths=0.125,0.125,0.125,0.25").imageSize(32)
                .epochs(1).batchSize(8).workers(1).engine("pytorch")
                .listener(new Training.Listener() {
                    @Override
                    public void message(String line) {
                        messages.add(line);
                    }
                })
                .run(tmp.resolve("pytorch"));
        assertThat(messages).noneMatch(m -> m.startsWith("training steps: oneDNN"));
        assertThat(defaultMessages).anyMatch(m -> m.startsWith("training steps: oneDNN"));
        assertThatThrownBy(() -> Training.builder(train, val, classFile).engine("tensorflow"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("auto, onednn or pytorch");
    }
}
