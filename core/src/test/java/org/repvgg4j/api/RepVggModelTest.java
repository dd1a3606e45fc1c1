package org.repvgg4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.modality.cv.ImageFactory;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RepVggModelTest {

    @TempDir
    Path tmp;

    @Test
    void everyKindOfInputGivesTheSamePrediction() throws Exception {
        Path image = TinyModels.images(1).get(3);
        LoadOptions options = LoadOptions.defaults().withEngine("pytorch").withRawScores(true);
        try (RepVggModel model = RepVggModel.load(TinyModels.trainForm(tmp.resolve("m"), 1), options)) {
            Prediction fromPath = model.classify(image);
            byte[] bytes = Files.readAllBytes(image);
            BufferedImage decoded = ImageIO.read(image.toFile());
            assertThat(model.classify(bytes)).isEqualTo(fromPath);
            assertThat(model.classify(new ByteArrayInputStream(bytes))).isEqualTo(fromPath);
            assertThat(model.classify(decoded)).isEqualTo(fromPath);
            assertThat(model.classify(ImageFactory.getInstance().fromFile(image))).isEqualTo(fromPath);
            // A batch of two runs other kernels than a batch of one: the same scores up to float rounding.
            for (Prediction p : model.classify(List.of(image, image))) {
                assertCloseTo(p, fromPath);
            }
            assertCloseTo(model.classifyImages(List.of(decoded)).get(0), fromPath);
        }
    }

    private static void assertCloseTo(Prediction actual, Prediction expected) {
        assertThat(actual.top()).extracting(ClassScore::index)
                .isEqualTo(expected.top().stream().map(ClassScore::index).toList());
        assertThat(actual.logits()).containsExactly(expected.logits(), within(1e-5f));
    }

    @Test
    void predictionListsTheTopKClassesMostProbableFirstWithTheRawScoresAsked() throws Exception {
        LoadOptions options = LoadOptions.defaults().withEngine("pytorch").withTopK(3).withRawScores(true);
        try (RepVggModel model = RepVggModel.load(TinyModels.trainForm(tmp.resolve("m"), 2), options)) {
            Prediction p = model.classify(TinyModels.images(1).get(0));
            assertThat(p.top()).hasSize(3);
            assertThat(p.top().get(0).probability()).isGreaterThanOrEqualTo(p.top().get(1).probability());
            assertThat(p.top().get(1).probability()).isGreaterThanOrEqualTo(p.top().get(2).probability());
            float[] logits = p.logits();
            assertThat(logits).hasSize(10);
            // softmax of the raw scores gives the listed probabilities, names follow the model's class order
            double max = Double.NEGATIVE_INFINITY;
            for (float v : logits) {
                max = Math.max(max, v);
            }
            double sum = 0;
            for (float v : logits) {
                sum += Math.exp(v - max);
            }
            ClassScore best = p.best();
            assertThat(best.probability()).isCloseTo(Math.exp(logits[best.index()] - max) / sum, within(1e-6));
            assertThat(best.label()).isEqualTo(model.classes().get(best.index()));
        }
        try (RepVggModel model = RepVggModel.load(tmp.resolve("m"))) {
            Prediction p = model.classify(TinyModels.images(1).get(0));
            assertThat(p.top()).hasSize(5);
            assertThat(p.logits()).isEmpty();
        }
    }

    /** One loaded model, eight threads classifying at once: the same scores as one thread, image by image. */
    @ParameterizedTest
    @ValueSource(strings = {"pytorch", "onnxruntime"})
    void eightThreadsThroughOneModelGetTheScoresOfOneThread(String engine) throws Exception {
        List<Path> images = TinyModels.images(4);
        LoadOptions options = LoadOptions.defaults().withEngine(engine).withRawScores(true).withThreads(1);
        try (RepVggModel model = RepVggModel.load(TinyModels.trainForm(tmp.resolve("m"), 3), options)) {
            assertThat(model.engine()).isEqualTo(engine);
            List<Prediction> alone = new ArrayList<>();
            for (Path image : images) {
                alone.add(model.classify(image));
            }
            int threads = 8;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            try {
                List<Future<List<Prediction>>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int offset = t;
                    results.add(pool.submit(() -> {
                        start.await();
                        // each thread walks the images from its own starting point, so different
                        // images are in flight at once
                        Prediction[] mine = new Prediction[images.size()];
                        for (int i = 0; i < images.size(); i++) {
                            int k = (i + offset * 5) % images.size();
                            mine[k] = model.classify(images.get(k));
                        }
                        return List.of(mine);
                    }));
                }
                start.countDown();
                for (Future<List<Prediction>> r : results) {
                    List<Prediction> got = r.get();
                    for (int i = 0; i < images.size(); i++) {
                        assertThat(got.get(i).logits()).as("image %d", i)
                                .containsExactly(alone.get(i).logits(), within(1e-6f));
                        assertThat(got.get(i).top()).extracting(ClassScore::index)
                                .isEqualTo(alone.get(i).top().stream().map(ClassScore::index).toList());
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void evaluateCountsTopOneAndTopFiveOnALabelledList() throws Exception {
        List<String> classes = TinyModels.classes();
        List<Path> images = TinyModels.images(2);
        StringBuilder list = new StringBuilder();
        for (Path image : images) {
            list.append(image).append(' ').append(classes.indexOf(image.getParent().getFileName().toString()))
                    .append('\n');
        }
        list.append(Files.writeString(tmp.resolve("damaged.png"), "not a picture")).append(" 0\n");
        Path val = Files.writeString(tmp.resolve("val.txt"), list, StandardCharsets.UTF_8);
        LoadOptions options = LoadOptions.defaults().withEngine("pytorch").withBatchSize(7);
        try (RepVggModel model = RepVggModel.load(TinyModels.trainForm(tmp.resolve("m"), 4), options)) {
            EvaluationReport report = model.evaluate(val);
            assertThat(report.images()).isEqualTo(images.size());
            assertThat(report.skipped()).isEqualTo(1);
            long right = 0;
            for (Path image : images) {
                right += model.classify(image).best().label().equals(image.getParent().getFileName().toString()) ? 1 : 0;
            }
            assertThat(report.top1()).isCloseTo((double) right / images.size(), within(1e-9));
            assertThat(report.top5()).isGreaterThanOrEqualTo(report.top1());
            assertThat(report.classes()).hasSize(10).allMatch(c -> c.support() == 2);
            assertThat(report.markdown()).contains("ankle_boot");
        }
    }

    @Test
    void errorsSayWhatIsWrong() throws Exception {
        assertThatThrownBy(() -> RepVggModel.load(tmp.resolve("nowhere"))).isInstanceOf(NoSuchFileException.class);
        Path dir = TinyModels.trainForm(tmp.resolve("m"), 5);
        assertThatThrownBy(() -> RepVggModel.load(dir, LoadOptions.defaults().withEngine("tensorflow")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pytorch, onnxruntime or onednn");
        RepVggModel model = RepVggModel.load(dir, LoadOptions.defaults().withEngine("pytorch"));
        Path text = Files.writeString(tmp.resolve("not-an-image.jpg"), "hello");
        assertThatThrownBy(() -> model.classify(text)).isInstanceOf(IOException.class)
                .hasMessageContaining("not-an-image.jpg");
        model.close();
        assertThatThrownBy(() -> model.classify(TinyModels.images(1).get(0))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }
}
