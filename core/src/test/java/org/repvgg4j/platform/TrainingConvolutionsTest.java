package org.repvgg4j.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.repvgg4j.model.BlockPlan;
import org.repvgg4j.model.ConvolutionStrategy;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.platform.TrainingConvolutions.ChannelsLastRun;
import org.repvgg4j.platform.TrainingConvolutions.StridedConvolution;

class TrainingConvolutionsTest {

    /** Stride-2 blocks after the stem, grouped layers, identity branches: every path a strategy may take. */
    private static final RepVggSpec SPEC = RepVggSpec.parse("depths=1,2,1,1;widths=0.25,0.25,0.25,0.25;groups=2");
    private static final int SIZE = TrainingConvolutions.MIN_CHANNELS_LAST_SIZE;
    private static final Shape INPUT = new Shape(4, 3, SIZE, SIZE);

    private final BlockPlan layerOne = new BlockPlan(1, 0, 1, 8, 16, 2, 1, false);
    private final Shape layerOneInput = new Shape(4, 8, 12, 12);

    @AfterEach
    void back() {
        System.clearProperty(TrainingConvolutions.CHANNELS_LAST_SWITCH);
    }

    @Test
    void everyStrategyGivesThePlainOutputsAndGradients() {
        List<StridedConvolution> everyStrided = new ArrayList<>();
        for (ConvolutionCheck.Problem p : ConvolutionCheck.stridedProblemsOf(SPEC, SIZE, 4)) {
            everyStrided.add(ConvolutionCheck.strided(p));
        }
        TrainingConvolutions phases = TrainingConvolutions.unchecked();
        TrainingConvolutions strided = new TrainingConvolutions(everyStrided, Set.of());
        TrainingConvolutions channelsLast = new TrainingConvolutions(Set.of(), Set.of(new ChannelsLastRun(SPEC.name(), SIZE, 4)));
        // Each strategy takes its own path on this input, or the comparison below would prove nothing.
        List<BlockPlan> strideTwo = SPEC.blocks().stream().filter(b -> b.stride() == 2 && b.layer() > 0).toList();
        assertThat(strideTwo).hasSizeGreaterThanOrEqualTo(3);
        assertThat(phases.fromPhases(strideTwo.get(0), new Shape(4, 16, SIZE / 2, SIZE / 2))).isTrue();
        assertThat(strided.fromPhases(strideTwo.get(0), new Shape(4, 16, SIZE / 2, SIZE / 2))).isFalse();
        assertThat(channelsLast.channelsLast(SPEC, INPUT)).isTrue();

        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomNormal(INPUT);
            NDArray upstream = manager.randomNormal(new Shape(4, 3));
            Map<String, float[]> plain = trainingStep(ConvolutionStrategy.PLAIN, manager, x, upstream);
            assertThat(plain).hasSizeGreaterThan(20);
            for (ConvolutionStrategy strategy : List.of(phases, strided, channelsLast)) {
                Map<String, float[]> other = trainingStep(strategy, manager, x, upstream);
                assertThat(other.keySet()).as("%s", strategy).containsExactlyElementsOf(plain.keySet());
                plain.forEach((key, expected) -> assertClose(other.get(key), expected, strategy + ": " + key));
            }
        }
    }

    @Test
    void channelsLastOnlyForACheckedRunOfTheTrainForm() {
        TrainingConvolutions allowed = new TrainingConvolutions(Set.of(), Set.of(new ChannelsLastRun(SPEC.name(), SIZE, 4),
                new ChannelsLastRun(SPEC.name(), 48, 4)));
        assertThat(TrainingConvolutions.unchecked().channelsLast(SPEC, INPUT)).as("nothing checked").isFalse();
        assertThat(allowed.channelsLast(SPEC, INPUT)).isTrue();
        assertThat(allowed.channelsLast(SPEC, new Shape(5, 3, SIZE, SIZE))).as("another batch size").isFalse();
        assertThat(allowed.channelsLast(SPEC, new Shape(4, 3, SIZE + 16, SIZE + 16))).as("another input size").isFalse();
        assertThat(allowed.channelsLast(SPEC, new Shape(4, 3, 48, 48))).as("below the smallest size").isFalse();
        assertThat(allowed.channelsLast(RepVggSpec.parse("A0"), INPUT)).as("another network").isFalse();
        System.setProperty(TrainingConvolutions.CHANNELS_LAST_SWITCH, "off");
        assertThat(allowed.channelsLast(SPEC, INPUT)).as("switched off").isFalse();
    }

    @Test
    void aStrideTwoLayerTrainsFromPhasesUntilBothBranchesAreCheckedAtItsShape() {
        StridedConvolution threeByThree = new StridedConvolution(4, 8, 16, 3, 12, 1);
        StridedConvolution oneByOne = new StridedConvolution(4, 8, 16, 1, 12, 1);
        assertThat(TrainingConvolutions.unchecked().fromPhases(layerOne, layerOneInput)).isTrue();
        assertThat(new TrainingConvolutions(Set.of(threeByThree), Set.of()).fromPhases(layerOne, layerOneInput))
                .as("the 1x1 branch is not checked").isTrue();
        TrainingConvolutions both = new TrainingConvolutions(Set.of(threeByThree, oneByOne), Set.of());
        assertThat(both.fromPhases(layerOne, layerOneInput)).isFalse();
        assertThat(both.fromPhases(layerOne, new Shape(5, 8, 12, 12))).as("another batch size").isTrue();
        assertThat(both.fromPhases(layerOne, new Shape(4, 8, 14, 14))).as("another map size").isTrue();
        assertThat(both.fromPhases(layerOne, new Shape(4, 8, 12, 13))).as("not square").isTrue();
        BlockPlan grouped = new BlockPlan(2, 0, 3, 8, 16, 2, 2, false);
        assertThat(both.fromPhases(grouped, layerOneInput)).as("checked ungrouped only").isTrue();
    }

    @Test
    void theStemAndStrideOneLayersNeverTrainFromPhases() {
        TrainingConvolutions phases = TrainingConvolutions.unchecked();
        assertThat(phases.fromPhases(new BlockPlan(0, 0, 0, 3, 8, 2, 1, false), new Shape(4, 3, 24, 24))).isFalse();
        assertThat(phases.fromPhases(new BlockPlan(1, 1, 2, 16, 16, 1, 1, false), new Shape(4, 16, 6, 6))).isFalse();
    }

    @Test
    void theConversionKeepsValuesShapeAndGradient() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomNormal(new Shape(2, 5, 3, 4));
            NDArray weights = manager.randomNormal(new Shape(2, 5, 3, 4));
            x.setRequiresGradient(true);
            NDArray converted;
            try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
                converted = TrainingConvolutions.toChannelsLast(x);
                collector.backward(converted.mul(weights).sum());
            }
            assertThat(converted.getShape()).isEqualTo(x.getShape());
            assertThat(converted.toFloatArray()).containsExactly(x.toFloatArray());
            assertThat(x.getGradient().toFloatArray()).containsExactly(weights.toFloatArray());
            assertThatThrownBy(() -> TrainingConvolutions.toChannelsLast(manager.zeros(new Shape(2, 3))))
                    .hasMessageContaining("N x C x H x W");
        }
    }

    /**
     * The logits, the input's gradient and every parameter's gradient of one training step of a
     * fresh network (the same weights for every strategy: the same seed).
     */
    private static Map<String, float[]> trainingStep(ConvolutionStrategy strategy, NDManager manager, NDArray input,
            NDArray upstream) {
        manager.getEngine().setRandomSeed(3);
        RepVgg net = new RepVgg(SPEC, Form.TRAIN, 3, strategy);
        net.initialize(manager, SIZE);
        NDArray x = input.duplicate();
        x.setRequiresGradient(true);
        Map<String, float[]> out = new LinkedHashMap<>();
        try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
            NDArray y = net.forward(new ParameterStore(manager, false), new NDList(x), true).singletonOrThrow();
            collector.backward(y.mul(upstream).sum());
            out.put("logits", y.toFloatArray());
        }
        out.put("input gradient", x.getGradient().toFloatArray());
        for (Map.Entry<String, Parameter> e : net.stateDict().entrySet()) {
            if (e.getValue().requiresGradient()) {
                out.put(e.getKey(), e.getValue().getArray().getGradient().toFloatArray());
            }
        }
        return out;
    }

    private static void assertClose(float[] actual, float[] expected, String what) {
        assertThat(actual).as(what).hasSameSizeAs(expected);
        double scale = 0;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
        }
        assertThat(worst).as(what).isLessThanOrEqualTo(1e-4 * scale + 1e-9);
    }
}
