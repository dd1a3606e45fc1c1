package org.repvgg4j.explain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import java.nio.DoubleBuffer;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.reparam.DeployConverter;
import org.repvgg4j.reparam.EquivalenceCheck;
import org.repvgg4j.weights.NetworkWeights;

class GradCamTest {

    /** Stage 4 is one stride-2 block after stage 3, so a map over stage 3 needs a strided gradient. */
    private static final RepVggSpec SPEC = RepVggSpec.parse("depths=1,2,2,1;widths=0.25,0.25,0.25,0.25");
    private static final int SIZE = 64;
    private static final int CLASSES = 4;

    @Test
    void overTheLastBlockTheMapIsTheClassifierRowOverTheFeatures() {
        try (NDManager manager = NDManager.newBaseManager()) {
            RepVgg net = trainNet(manager);
            float[] image = randomImage(3);
            try (GradCam cam = GradCam.of(net, "stage4", manager)) {
                GradCam.ClassMap map = cam.explain(image, SIZE, -1);
                int k = map.classIndex();

                // Zhou et al.'s CAM, from the float32 network: relu(sum_c w[k, c] A_c) / (h w).
                ParameterStore store = new ParameterStore(manager, false);
                NDArray a = manager.create(image, new Shape(1, 3, SIZE, SIZE));
                for (var block : net.blocks()) {
                    a = block.forward(store, new NDList(a), false).singletonOrThrow();
                }
                float[] features = a.toFloatArray();
                float[] w = net.stateDict().get("linear.weight").getArray().toFloatArray();
                int channels = (int) a.getShape().get(1);
                int h = (int) a.getShape().get(2);
                int wd = (int) a.getShape().get(3);
                assertThat(map.height()).isEqualTo(h);
                assertThat(map.width()).isEqualTo(wd);
                double max = 0;
                for (int p = 0; p < h * wd; p++) {
                    double s = 0;
                    for (int c = 0; c < channels; c++) {
                        s += w[k * channels + c] * features[c * h * wd + p];
                    }
                    double expected = Math.max(0, s) / (h * wd);
                    max = Math.max(max, expected);
                    assertThat(map.values()[p]).as("position " + p).isCloseTo(expected, org.assertj.core.api.Assertions
                            .within(1e-6 + 1e-5 * Math.abs(expected)));
                }
                assertThat(max).as("the map is not trivially zero").isGreaterThan(1e-4);
            }
        }
    }

    @Test
    void channelWeightsAreTheScoresFiniteDifferences() {
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(5);
            RepVgg net = new RepVgg(SPEC, Form.TRAIN, CLASSES);
            net.initialize(manager, DataType.FLOAT64, new Shape(1, 3, SIZE, SIZE));
            randomizeBatchNorms64(net, 5);
            float[] image = randomImage(8);
            GradCam.ClassMap map;
            try (GradCam cam = GradCam.of(net, "stage3", manager)) {
                map = cam.explain(image, SIZE, -1);
            }

            // The map's channel weight is the mean over positions of d score / d A_c, which is the
            // derivative of the score along "add t to every position of channel c", over h w.
            ParameterStore store = new ParameterStore(manager, false);
            double[] input = new double[image.length];
            for (int i = 0; i < input.length; i++) {
                input[i] = image[i];
            }
            NDArray a = manager.create(input, new Shape(1, 3, SIZE, SIZE));
            int target = GradCam.blockIndex(net, "stage3");
            for (int i = 0; i <= target; i++) {
                a = net.blocks().get(i).forward(store, new NDList(a), false).singletonOrThrow();
            }
            Shape shape = a.getShape();
            int channels = (int) shape.get(1);
            int plane = (int) (shape.get(2) * shape.get(3));
            double[] features = a.toDoubleArray();
            // Small: the network is piecewise linear, and a wider step may straddle some ReLU's kink.
            double step = 1e-7;
            double[] expected = new double[plane];
            for (int c = 0; c < channels; c++) {
                double[] up = features.clone();
                double[] down = features.clone();
                for (int p = 0; p < plane; p++) {
                    up[c * plane + p] += step;
                    down[c * plane + p] -= step;
                }
                double weight = (score(net, manager, up, shape, target, map.classIndex())
                        - score(net, manager, down, shape, target, map.classIndex())) / (2 * step * plane);
                for (int p = 0; p < plane; p++) {
                    expected[p] += weight * features[c * plane + p];
                }
            }
            double max = 0;
            for (int p = 0; p < plane; p++) {
                expected[p] = Math.max(0, expected[p]);
                max = Math.max(max, expected[p]);
            }
            assertThat(max).as("the map is not trivially zero").isGreaterThan(1e-6);
            // A central difference with this step carries a rounding error of about
            // 1e-16 * |score| / step per channel weight; summed over the channels it stays below
            // 1e-6 of the map's peak here (seen: 1.1e-7 on one machine), while a wrong weighting
            // is off by the map's own size.
            for (int p = 0; p < plane; p++) {
                assertThat(Math.abs(map.values()[p] - expected[p])).as("position " + p).isLessThan(1e-6 * max);
            }
        }
    }

    @Test
    void deployFormGivesTheTrainFormsMap() {
        try (NDManager manager = NDManager.newBaseManager()) {
            RepVgg train = trainNet(manager);
            RepVgg deploy = new RepVgg(SPEC, Form.DEPLOY, CLASSES);
            deploy.initialize(manager, SIZE);
            NetworkWeights.load(deploy, DeployConverter.convert(SPEC, NetworkWeights.of(train), manager), "fused");
            float[] image = randomImage(4);
            for (String layer : new String[] {"stage2", "stage3.1", "stage4"}) {
                try (GradCam t = GradCam.of(train, layer, manager); GradCam d = GradCam.of(deploy, layer, manager)) {
                    // The first class with a non-zero map: a random network may raise some
                    // classes nowhere.
                    GradCam.ClassMap a = null;
                    double max = 0;
                    for (int k = 0; k < CLASSES && max == 0; k++) {
                        a = t.explain(image, SIZE, k);
                        for (double v : a.values()) {
                            max = Math.max(max, v);
                        }
                    }
                    assertThat(max).as(layer + ": not trivially zero").isGreaterThan(1e-6);
                    GradCam.ClassMap b = d.explain(image, SIZE, a.classIndex());
                    assertThat(b.values()).hasSameSizeAs(a.values());
                    for (int i = 0; i < a.values().length; i++) {
                        assertThat(Math.abs(a.values()[i] - b.values()[i])).as(layer + " position " + i)
                                .isLessThan(1e-4 * max);
                    }
                }
            }
        }
    }

    @Test
    void layersAreNamedByTheirOfficialPrefix() {
        try (NDManager manager = NDManager.newBaseManager()) {
            RepVgg net = new RepVgg(SPEC, Form.TRAIN, CLASSES);
            // blocks: stage0, stage1.0, stage2.0, stage2.1, stage3.0, stage3.1, stage4.0
            assertThat(GradCam.blockIndex(net, "stage0")).isZero();
            assertThat(GradCam.blockIndex(net, "stage2")).isEqualTo(3);
            assertThat(GradCam.blockIndex(net, "stage3.0")).isEqualTo(4);
            assertThat(GradCam.blockIndex(net, "stage4")).isEqualTo(6);
            assertThatThrownBy(() -> GradCam.blockIndex(net, "stage5"))
                    .hasMessageContaining("no layer 'stage5'").hasMessageContaining("stage0, stage1, stage2, stage3, stage4");
            assertThatThrownBy(() -> GradCam.blockIndex(net, "stage2.2")).hasMessageContaining("no layer 'stage2.2'");
            net.initialize(manager, SIZE);
            try (GradCam cam = GradCam.of(net, "stage3.1", manager)) {
                assertThat(cam.layerName()).isEqualTo("stage3.1");
                assertThatThrownBy(() -> cam.explain(randomImage(1), SIZE, CLASSES))
                        .hasMessageContaining("class 4 is out of range (the model has 4 classes)");
            }
        }
    }

    @Test
    void overlayUpsamplesAsPyTorchAndColoursLowBlueHighRed() {
        GradCam.ClassMap ramp = new GradCam.ClassMap(0, new double[] {0}, 2, 2, new double[] {0, 1, 0, 1});
        // F.interpolate(x, size=4, mode="bilinear", align_corners=False) of [[0, 1], [0, 1]]
        assertThat(CamOverlay.upsample(ramp, 4)).containsExactly(
                0, 0.25, 0.75, 1, 0, 0.25, 0.75, 1, 0, 0.25, 0.75, 1, 0, 0.25, 0.75, 1);
        assertThat(CamOverlay.jet(0)).containsExactly(0, 0, 0.5);
        assertThat(CamOverlay.jet(0.5)).containsExactly(0.5, 1, 0.5);
        assertThat(CamOverlay.jet(1)).containsExactly(0.5, 0, 0);
    }

    private static RepVgg trainNet(NDManager manager) {
        manager.getEngine().setRandomSeed(11);
        RepVgg net = new RepVgg(SPEC, Form.TRAIN, CLASSES);
        net.initialize(manager, SIZE);
        EquivalenceCheck.randomizeBatchNorms(NetworkWeights.of(net), 7);
        return net;
    }

    private static void randomizeBatchNorms64(RepVgg net, long seed) {
        Random random = new Random(seed);
        for (Map.Entry<String, Parameter> e : net.stateDict().entrySet()) {
            String key = e.getKey();
            if (!key.contains(".bn.") && !key.contains(".rbr_identity.")) {
                continue;
            }
            double lo = key.endsWith("running_var") ? 0.5 : key.endsWith("weight") ? 0.2 : -0.3;
            double hi = key.endsWith("running_var") ? 2.0 : key.endsWith("weight") ? 0.8 : 0.3;
            NDArray array = e.getValue().getArray();
            double[] values = new double[Math.toIntExact(array.size())];
            for (int i = 0; i < values.length; i++) {
                values[i] = lo + (hi - lo) * random.nextDouble();
            }
            array.set(DoubleBuffer.wrap(values));
        }
    }

    /** One class's logit of the float64 network continued from block {@code target + 1} on features {@code a}. */
    private static double score(RepVgg net, NDManager manager, double[] a, Shape shape, int target, int classIndex) {
        try (NDManager scope = manager.newSubManager()) {
            ParameterStore store = new ParameterStore(scope, false);
            NDArray x = scope.create(a, shape);
            for (int i = target + 1; i < net.blocks().size(); i++) {
                x = net.blocks().get(i).forward(store, new NDList(x), false).singletonOrThrow();
            }
            return net.head(store, x, false).toDoubleArray()[classIndex];
        }
    }

    private static float[] randomImage(long seed) {
        Random random = new Random(seed);
        float[] image = new float[3 * SIZE * SIZE];
        for (int i = 0; i < image.length; i++) {
            image[i] = (float) random.nextGaussian();
        }
        return image;
    }
}
