package org.repvgg4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repvgg4j.weights.Preprocessing;

class ListDatasetTest {

    /** One pass: the sample index and the input of every image, in order. */
    private record Pass(List<Integer> indices, List<float[]> inputs) {}

    private static Pass pass(ListDataset data, int epoch) {
        List<Integer> indices = new ArrayList<>();
        List<float[]> inputs = new ArrayList<>();
        data.setEpoch(epoch);
        try (NDManager manager = NDManager.newBaseManager()) {
            for (Batch batch : data.getData(manager)) {
                try (batch) {
                    float[] x = batch.getData().singletonOrThrow().toFloatArray();
                    int per = x.length / batch.getSize();
                    for (int i = 0; i < batch.getSize(); i++) {
                        indices.add((Integer) batch.getIndices().get(i));
                        inputs.add(java.util.Arrays.copyOfRange(x, i * per, (i + 1) * per));
                    }
                }
            }
        }
        return new Pass(indices, inputs);
    }

    /** 40 images of class 0, 4 of class 1. */
    private static List<Sample> imbalanced(Path dir) {
        TestImages.pngs(dir.resolve("common"), 40);
        TestImages.pngs(dir.resolve("rare"), 4);
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            samples.add(new Sample(dir.resolve("common").resolve(String.format("%03d.png", i)), 0));
        }
        for (int i = 0; i < 4; i++) {
            samples.add(new Sample(dir.resolve("rare").resolve(String.format("%03d.png", i)), 1));
        }
        return samples;
    }

    @Test
    void balancedDrawingShowsEveryClassAboutEquallyOftenAndRepeatsTheSameWayForAnEpoch(@TempDir Path dir) {
        List<Sample> samples = imbalanced(dir);
        ImageTransform crops = ImageTransform.train(Preprocessing.imagenet(8), 0.3, 1.0);
        try (ListDataset shuffled = new ListDataset(samples, crops, new ListDataset.Options(4, true, false, 1, 2, 2));
                ListDataset balanced = new ListDataset(samples, crops,
                        new ListDataset.Options(4, true, false, 1, 2, 2, true))) {
            Pass plain = pass(shuffled, 0);
            assertThat(plain.indices()).as("each image once").hasSize(44).doesNotHaveDuplicates();

            Pass drawn = pass(balanced, 0);
            assertThat(drawn.indices()).as("a pass keeps the list's length").hasSize(44);
            long rare = drawn.indices().stream().filter(i -> i >= 40).count();
            assertThat(rare).as("rare draws of 44; without balancing 4").isBetween(14L, 30L);

            Pass again = pass(balanced, 0);
            assertThat(again.indices()).as("the same epoch draws the same").isEqualTo(drawn.indices());
            for (int i = 0; i < drawn.inputs().size(); i++) {
                assertThat(again.inputs().get(i)).containsExactly(drawn.inputs().get(i));
            }
            assertThat(pass(balanced, 1).indices()).as("another epoch draws anew").isNotEqualTo(drawn.indices());

            // An image drawn twice in a pass gets crops of its own each time (the 4x4 pictures allow
            // few distinct crops, so some repeats may still coincide).
            Map<Integer, Integer> first = new HashMap<>();
            int repeats = 0;
            int differing = 0;
            for (int i = 0; i < drawn.indices().size(); i++) {
                Integer earlier = first.putIfAbsent(drawn.indices().get(i), i);
                if (earlier != null) {
                    repeats++;
                    differing += java.util.Arrays.equals(drawn.inputs().get(i), drawn.inputs().get(earlier)) ? 0 : 1;
                }
            }
            assertThat(repeats).isGreaterThan(5);
            assertThat(differing).as("repeats cropped anew, of " + repeats).isGreaterThan(repeats / 3);
        }
        assertThatThrownBy(() -> new ListDataset.Options(4, false, false, 1, 2, 2, true))
                .hasMessageContaining("needs shuffle");
    }
}
