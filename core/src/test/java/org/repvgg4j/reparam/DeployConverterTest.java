package org.repvgg4j.reparam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.weights.NetworkWeights;
import org.repvgg4j.weights.StateDict;

class DeployConverterTest {

    static Stream<Arguments> everyVariant() {
        Stream<RepVggSpec> official = RepVggSpec.officialVariants().stream();
        Stream<RepVggSpec> custom = Stream.of(
                RepVggSpec.parse("depths=1,2,2,1;widths=0.125,0.125,0.125,0.25"),
                RepVggSpec.parse("depths=2,2,2,1;widths=0.25,0.25,0.25,0.5;groups=4"),
                RepVggSpec.parse("depths=1,2,2,1;widths=0.5,0.5,0.5,0.5;groups=2;se=true"));
        return Stream.concat(official, custom).map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyVariant")
    void deployFormMatchesTrainFormWithRandomBatchNorms(RepVggSpec spec) {
        try (NDManager manager = NDManager.newBaseManager()) {
            RepVgg train = new RepVgg(spec, Form.TRAIN, 10);
            train.initialize(manager, 32);
            EquivalenceCheck.randomizeBatchNorms(NetworkWeights.of(train), 7);

            StateDict fused = DeployConverter.convert(spec, NetworkWeights.of(train), manager);
            RepVgg deploy = new RepVgg(spec, Form.DEPLOY, 10);
            deploy.initialize(manager, 32);
            NetworkWeights.load(deploy, fused, "fused");

            NDArray input = EquivalenceCheck.randomInput(manager, 2, 32, 11);
            Equivalence eq = EquivalenceCheck.compare(train, deploy, input, Equivalence.DEFAULT_TOLERANCE);

            assertThat(eq.maxAbsOutput()).as("outputs are not trivially zero").isGreaterThan(1e-3);
            assertThat(eq.maxAbsDifference()).as(eq.toString()).isLessThanOrEqualTo(1e-4 * eq.maxAbsOutput());
            assertThat(eq.holds()).isTrue();
        }
    }

    @Test
    void deployWeightsHaveOfficialKeysAndShapes() {
        RepVggSpec spec = RepVggSpec.parse("depths=1,2,1,1;widths=0.25,0.25,0.25,0.25;groups=2;se=true");
        try (NDManager manager = NDManager.newBaseManager()) {
            RepVgg train = new RepVgg(spec, Form.TRAIN, 3);
            train.initialize(manager, 32);
            StateDict fused = DeployConverter.convert(spec, NetworkWeights.of(train), manager);
            RepVgg deploy = new RepVgg(spec, Form.DEPLOY, 3);
            deploy.initialize(manager, 32);

            assertThat(fused.keys()).containsExactlyElementsOf(deploy.stateDict().keySet());
            assertThat(fused.keys()).contains("stage0.rbr_reparam.weight", "stage2.1.rbr_reparam.bias",
                    "stage2.1.se.down.weight", "linear.weight");
            // layer 2 (stage2.0) is grouped: 16 inputs in 2 groups
            assertThat(fused.get("stage2.0.rbr_reparam.weight").getShape().getShape()).containsExactly(32, 8, 3, 3);
        }
    }

    @Test
    void missingTrainKeyIsNamed() {
        RepVggSpec spec = RepVggSpec.parse("depths=1,1,1,1;widths=0.125,0.125,0.125,0.125");
        try (NDManager manager = NDManager.newBaseManager()) {
            RepVgg train = new RepVgg(spec, Form.TRAIN, 3);
            train.initialize(manager, 32);
            StateDict weights = new StateDict();
            NetworkWeights.of(train).asMap().forEach((k, v) -> {
                if (!k.equals("stage3.0.rbr_1x1.bn.running_var")) {
                    weights.put(k, v);
                }
            });
            assertThatThrownBy(() -> DeployConverter.convert(spec, weights, manager))
                    .hasMessageContaining("stage3.0.rbr_1x1.bn.running_var");
        }
    }

    @Test
    void identityKernelReproducesInputPerGroup() {
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int groups : List.of(1, 2, 4)) {
                NDArray x = EquivalenceCheck.randomInput(manager, 1, 5, groups).tile(new long[] {1, 4, 1, 1})
                        .get(":, :8");
                NDArray k = BranchFusion.identityKernel(manager, 8, groups, ai.djl.ndarray.types.DataType.FLOAT32);
                NDArray y = ai.djl.nn.convolutional.Conv2d.conv2d(x, k, null,
                        new ai.djl.ndarray.types.Shape(1, 1), new ai.djl.ndarray.types.Shape(1, 1),
                        new ai.djl.ndarray.types.Shape(1, 1), groups).singletonOrThrow();
                assertThat(y.sub(x).abs().max().getFloat()).as("groups " + groups).isEqualTo(0f);
            }
        }
    }
}
