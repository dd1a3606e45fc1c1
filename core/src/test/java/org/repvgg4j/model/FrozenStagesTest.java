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
import java.util.Map;
import org.junit.jupiter.api.Test;

class FrozenStagesTest {

    private static final RepVggSpec SPEC = RepVggSpec.parse("depths=1,2,1,1;widths=0.125,0.125,0.125,0.125");

    @Test
    void frozenBlocksKeepTheirStatisticsAndTakeNoGradient() {
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(1);
            RepVgg net = new RepVgg(SPEC, Form.TRAIN, 3);
            net.initialize(manager, 32);
            net.freezeThrough(1);
            Map<String, Parameter> sd = net.stateDict();
            float[] frozenMean = sd.get("stage1.0.rbr_dense.bn.running_mean").getArray().toFloatArray();
            float[] trainedMean = sd.get("stage2.0.rbr_dense.bn.running_mean").getArray().toFloatArray();

            NDArray x = manager.randomNormal(new Shape(4, 3, 32, 32));
            try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
                NDArray y = net.forward(new ParameterStore(manager, false), new NDList(x), true).singletonOrThrow();
                collector.backward(y.sum());
            }

            assertThat(net.blocks().get(0).isFrozen()).isTrue();
            assertThat(net.blocks().get(1).isFrozen()).isTrue();
            assertThat(net.blocks().get(2).isFrozen()).isFalse();
            assertThat(sd.get("stage1.0.rbr_dense.bn.running_mean").getArray().toFloatArray())
                    .as("a frozen block's batch norm uses and keeps its running statistics").containsExactly(frozenMean);
            assertThat(sd.get("stage2.0.rbr_dense.bn.running_mean").getArray().toFloatArray())
                    .as("a training block's batch norm updates them").isNotEqualTo(trainedMean);
            assertThat(sd.get("stage1.0.rbr_dense.conv.weight").requiresGradient()).isFalse();
            assertThat(sd.get("stage2.0.rbr_dense.conv.weight").getArray().getGradient().abs().max().getFloat())
                    .isPositive();

            net.freezeThrough(-1);
            assertThat(net.blocks()).noneMatch(RepVggBlock::isFrozen);
            assertThat(sd.get("stage0.rbr_dense.conv.weight").requiresGradient()).isTrue();
            assertThatThrownBy(() -> net.freezeThrough(5)).hasMessageContaining("stages are 0..4, got 5");
        }
    }
}
