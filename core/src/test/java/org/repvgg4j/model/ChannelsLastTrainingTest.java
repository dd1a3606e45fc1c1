package org.repvgg4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ChannelsLastTrainingTest {

    private static final RepVggSpec SPEC = RepVggSpec.parse("depths=1,2,1,1;widths=0.25,0.25,0.25,0.25");
    private static final int SIZE = ChannelsLastTraining.MIN_IMAGE_SIZE;
    private static final Shape INPUT = new Shape(4, 3, SIZE, SIZE);

    @AfterEach
    void back() {
        ChannelsLastTraining.reset();
        System.clearProperty(ChannelsLastTraining.SWITCH);
    }

    @Test
    void theConversionKeepsValuesShapeAndGradient() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomNormal(new Shape(2, 5, 3, 4));
            NDArray weights = manager.randomNormal(new Shape(2, 5, 3, 4));
            x.setRequiresGradient(true);
            NDArray converted;
            try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
                converted = ChannelsLastTraining.toChannelsLast(x);
                collector.backward(converted.mul(weights).sum());
            }
            assertThat(converted.getShape()).isEqualTo(x.getShape());
            assertThat(converted.toFloatArray()).containsExactly(x.toFloatArray());
            assertThat(x.getGradient().toFloatArray()).containsExactly(weights.toFloatArray());
            assertThatThrownBy(() -> ChannelsLastTraining.toChannelsLast(manager.zeros(new Shape(2, 3))))
                    .hasMessageContaining("N x C x H x W");
        }
    }

    @Test
    void onlyAnAllowedRunsTrainingPassesOfTheTrainFormGoChannelsLast() {
        RepVgg train = new RepVgg(SPEC, Form.TRAIN, 3);
        RepVgg deploy = new RepVgg(SPEC, Form.DEPLOY, 3);
        assertThat(train.trainsChannelsLast(INPUT, true)).as("not allowed yet").isFalse();
        ChannelsLastTraining.allow(List.of(new ChannelsLastTraining.Run(SPEC.name(), SIZE, 4)));
        assertThat(train.trainsChannelsLast(INPUT, true)).isTrue();
        assertThat(train.trainsChannelsLast(INPUT, false)).as("inference").isFalse();
        assertThat(deploy.trainsChannelsLast(INPUT, true)).as("deploy form").isFalse();
        assertThat(train.trainsChannelsLast(new Shape(5, 3, SIZE, SIZE), true)).as("another batch size").isFalse();
        assertThat(train.trainsChannelsLast(new Shape(4, 3, SIZE + 16, SIZE + 16), true)).as("another input size").isFalse();
        ChannelsLastTraining.allow(List.of(new ChannelsLastTraining.Run(SPEC.name(), 48, 4)));
        assertThat(train.trainsChannelsLast(new Shape(4, 3, 48, 48), true)).as("below the smallest size").isFalse();
        assertThat(new RepVgg(RepVggSpec.parse("A0"), Form.TRAIN, 3).trainsChannelsLast(INPUT, true))
                .as("another network").isFalse();
        System.setProperty(ChannelsLastTraining.SWITCH, "off");
        assertThat(train.trainsChannelsLast(INPUT, true)).as("switched off").isFalse();
    }

    @Test
    void aTrainingStepGivesTheSameLossAndGradientsAsNchw() {
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(3);
            RepVgg net = new RepVgg(SPEC, Form.TRAIN, 3);
            net.initialize(manager, SIZE);
            NDArray x = manager.randomNormal(INPUT);
            NDArray upstream = manager.randomNormal(new Shape(4, 3));

            double nchwLoss = step(net, manager, x, upstream);
            Map<String, float[]> nchw = gradients(net);
            ChannelsLastTraining.allow(List.of(new ChannelsLastTraining.Run(SPEC.name(), SIZE, 4)));
            double channelsLastLoss = step(net, manager, x, upstream);
            Map<String, float[]> total = gradients(net);

            assertThat(channelsLastLoss).isCloseTo(nchwLoss, org.assertj.core.api.Assertions.within(1e-4 * Math.abs(nchwLoss)));
            assertThat(total).hasSameSizeAs(nchw).hasSizeGreaterThan(20);
            for (Map.Entry<String, float[]> e : nchw.entrySet()) {
                float[] first = e.getValue();
                float[] both = total.get(e.getKey());
                double scale = 0;
                double worst = 0;
                for (int i = 0; i < first.length; i++) {
                    double second = both[i] - first[i]; // gradients add up over the two steps
                    scale = Math.max(scale, Math.abs(first[i]));
                    worst = Math.max(worst, Math.abs(second - first[i]));
                }
                assertThat(worst).as(e.getKey()).isLessThanOrEqualTo(1e-4 * scale + 1e-9);
            }
        }
    }

    private static double step(RepVgg net, NDManager manager, NDArray x, NDArray upstream) {
        try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
            NDArray y = net.forward(new ParameterStore(manager, false), new NDList(x), true).singletonOrThrow();
            NDArray loss = y.mul(upstream).sum();
            collector.backward(loss);
            return loss.getFloat();
        }
    }

    private static Map<String, float[]> gradients(RepVgg net) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : net.stateDict().entrySet()) {
            if (e.getValue().requiresGradient()) {
                out.put(e.getKey(), e.getValue().getArray().getGradient().toFloatArray());
            }
        }
        return out;
    }
}
