package org.repvgg4j.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.repvgg4j.reparam.EquivalenceCheck;

class RepVggNetworkTest {

    static Stream<String> specs() {
        return Stream.of("A0", "B1g4",
                "depths=1,2,2,1;widths=0.25,0.25,0.25,0.5;groups=2;se=true");
    }

    /** The trainable parameters DJL allocates are exactly what {@link Complexity} counts. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void builtNetworkHasTheParametersTheSpecCounts(String arch) {
        RepVggSpec spec = RepVggSpec.parse(arch);
        for (Form form : Form.values()) {
            try (NDManager manager = NDManager.newBaseManager()) {
                RepVgg net = new RepVgg(spec, form, 1000);
                net.initialize(manager, 32);
                long trainable = net.getParameters().values().stream()
                        .filter(p -> p.getType() != Parameter.Type.RUNNING_MEAN
                                && p.getType() != Parameter.Type.RUNNING_VAR)
                        .mapToLong(p -> p.getArray().size())
                        .sum();
                assertThat(trainable).as(arch + " " + form)
                        .isEqualTo(Complexity.of(spec, form, 1000, 224).params());
                assertThat(net.stateDict()).hasSize(net.getParameters().size());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void outputHasOneLogitPerClassAndFeaturesShrink32Times(String arch) {
        try (NDManager manager = NDManager.newBaseManager()) {
            RepVgg net = new RepVgg(RepVggSpec.parse(arch), Form.TRAIN, 7);
            net.initialize(manager, 64);
            NDArray logits = net.infer(EquivalenceCheck.randomInput(manager, 3, 64, 1));
            assertThat(logits.getShape().getShape()).containsExactly(3, 7);
            assertThat(net.getOutputShapes(new ai.djl.ndarray.types.Shape[] {new ai.djl.ndarray.types.Shape(3, 3, 64, 64)})[0].getShape())
                    .containsExactly(3, 7);
            long outSize = net.blocks().get(net.blocks().size() - 1)
                    .getOutputShapes(new ai.djl.ndarray.types.Shape[] {new ai.djl.ndarray.types.Shape(1, 3, 4, 4)})[0].get(2);
            assertThat(outSize).isEqualTo(2);
        }
    }

    @org.junit.jupiter.api.Test
    void stateDictUsesOfficialKeyNamesInModuleOrder() {
        try (NDManager manager = NDManager.newBaseManager()) {
            RepVgg net = new RepVgg(RepVggSpec.parse("A0"), Form.TRAIN, 1000);
            net.initialize(manager, 32);
            var keys = net.stateDict().keySet().stream().toList();
            assertThat(keys.subList(0, 6)).containsExactly(
                    "stage0.rbr_dense.conv.weight", "stage0.rbr_dense.bn.weight", "stage0.rbr_dense.bn.bias",
                    "stage0.rbr_dense.bn.running_mean", "stage0.rbr_dense.bn.running_var",
                    "stage0.rbr_1x1.conv.weight");
            assertThat(keys).contains("stage1.1.rbr_identity.running_var", "stage3.13.rbr_1x1.bn.bias")
                    .doesNotContain("stage1.0.rbr_identity.weight");
            assertThat(keys.get(keys.size() - 1)).isEqualTo("linear.bias");
            assertThat(net.stateDict().get("stage4.0.rbr_dense.conv.weight").getArray().getShape().getShape())
                    .containsExactly(1280, 192, 3, 3);
        }
    }
}
