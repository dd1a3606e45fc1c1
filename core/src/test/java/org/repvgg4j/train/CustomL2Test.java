package org.repvgg4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggBlock;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.reparam.EquivalenceCheck;
import org.repvgg4j.weights.NetworkWeights;

class CustomL2Test {

    /** Grouped blocks too: the centre tap and the 1x1 kernel line up per group. */
    private static final RepVggSpec SPEC = RepVggSpec.parse("depths=1,2,1,1;widths=0.125,0.125,0.125,0.125;groups=2");

    private static RepVgg network(NDManager manager) {
        manager.getEngine().setRandomSeed(3);
        RepVgg net = new RepVgg(SPEC, Form.TRAIN, 3);
        net.initialize(manager, 32);
        EquivalenceCheck.randomizeBatchNorms(NetworkWeights.of(net), 9);
        return net;
    }

    /** One block's get_custom_L2, from the official formula, element by element in double. */
    private static double officialFormula(Map<String, Parameter> sd, String prefix) {
        float[] k3 = sd.get(prefix + "rbr_dense.conv.weight").getArray().toFloatArray();
        float[] k1 = sd.get(prefix + "rbr_1x1.conv.weight").getArray().toFloatArray();
        double[] t3 = scale(sd, prefix + "rbr_dense.bn.");
        double[] t1 = scale(sd, prefix + "rbr_1x1.bn.");
        int taps = k3.length / k1.length; // 9
        int perOut = k1.length / t3.length;
        double sum = 0;
        for (int i = 0; i < k1.length; i++) {
            int out = i / perOut;
            for (int t = 0; t < taps; t++) {
                if (t != 4) {
                    sum += (double) k3[i * taps + t] * k3[i * taps + t];
                }
            }
            double fused = k3[i * taps + 4] * t3[out] + k1[i] * t1[out];
            sum += fused * fused / (t3[out] * t3[out] + t1[out] * t1[out]);
        }
        return sum;
    }

    private static double[] scale(Map<String, Parameter> sd, String bn) {
        float[] gamma = sd.get(bn + "weight").getArray().toFloatArray();
        float[] var = sd.get(bn + "running_var").getArray().toFloatArray();
        double[] t = new double[gamma.length];
        for (int i = 0; i < t.length; i++) {
            t[i] = gamma[i] / Math.sqrt(var[i] + 1e-5);
        }
        return t;
    }

    @Test
    void valueIsTheOfficialFormulaSummedOverBlocks() {
        try (NDManager manager = NDManager.newBaseManager()) {
            RepVgg net = network(manager);
            Map<String, Parameter> sd = net.stateDict();
            double expected = 0;
            for (RepVggBlock block : net.blocks()) {
                expected += officialFormula(sd, block.plan().keyPrefix());
            }
            double actual = new CustomL2(net).value().getFloat();
            assertThat(expected).isGreaterThan(1);
            assertThat(actual).isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-5 * expected));
            assertThat(new CustomL2(net).pointwiseKernelIds()).hasSize(net.blocks().size())
                    .contains(sd.get("stage2.1.rbr_1x1.conv.weight").getId(), sd.get("stage0.rbr_1x1.conv.weight").getId())
                    .doesNotContain(sd.get("stage2.1.rbr_dense.conv.weight").getId());
        }
    }

    @Test
    void autogradThroughTheValueGivesTheFormulasDerivativeAndHoldsTheNormsConstant() {
        try (NDManager manager = NDManager.newBaseManager()) {
            RepVgg net = network(manager);
            Map<String, Parameter> sd = net.stateDict();
            try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
                collector.backward(new CustomL2(net).value());
            }
            String prefix = "stage2.1.";
            float[] k3 = sd.get(prefix + "rbr_dense.conv.weight").getArray().toFloatArray();
            float[] k1 = sd.get(prefix + "rbr_1x1.conv.weight").getArray().toFloatArray();
            float[] g3 = sd.get(prefix + "rbr_dense.conv.weight").getArray().getGradient().toFloatArray();
            float[] g1 = sd.get(prefix + "rbr_1x1.conv.weight").getArray().getGradient().toFloatArray();
            double[] t3 = scale(sd, prefix + "rbr_dense.bn.");
            double[] t1 = scale(sd, prefix + "rbr_1x1.bn.");
            int perOut = k1.length / t3.length;
            for (int i = 0; i < k1.length; i++) {
                int out = i / perOut;
                double norm = t3[out] * t3[out] + t1[out] * t1[out];
                double fused = k3[i * 9 + 4] * t3[out] + k1[i] * t1[out];
                assertThat((double) g1[i]).as("d/dK1[%d]", i).isCloseTo(2 * fused * t1[out] / norm, within(1e-5));
                assertThat((double) g3[i * 9 + 4]).as("d/dK3 centre [%d]", i)
                        .isCloseTo(2 * fused * t3[out] / norm, within(1e-5));
                assertThat((double) g3[i * 9]).as("d/dK3 ring [%d]", i).isCloseTo(2.0 * k3[i * 9], within(1e-5));
            }
            NDArray gammaGrad = sd.get(prefix + "rbr_dense.bn.weight").getArray().getGradient();
            assertThat(gammaGrad.abs().max().getFloat()).as("the BN scales are held constant").isZero();
        }
    }

    /** Training's path: the direct gradients plus the optimizer's plain decay on K3 equal autograd's. */
    @Test
    void directGradientsPlusPlainDecayOnTheThreeByThreeKernelsEqualAutograd() {
        double wd = 0.3;
        try (NDManager manager = NDManager.newBaseManager()) {
            RepVgg net = network(manager);
            Map<String, Parameter> sd = net.stateDict();
            CustomL2 l2 = new CustomL2(net);
            try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
                collector.backward(l2.value().mul(wd / 2));
            }
            Map<String, float[]> autograd = new java.util.HashMap<>();
            for (RepVggBlock block : net.blocks()) {
                for (String kernel : new String[] {"rbr_dense.conv.weight", "rbr_1x1.conv.weight"}) {
                    NDArray w = sd.get(block.plan().keyPrefix() + kernel).getArray();
                    autograd.put(block.plan().keyPrefix() + kernel, w.getGradient().toFloatArray());
                    w.getGradient().subi(w.getGradient()); // zero, as after an update
                }
            }
            l2.addGradients(wd);
            for (RepVggBlock block : net.blocks()) {
                String prefix = block.plan().keyPrefix();
                NDArray k3 = sd.get(prefix + "rbr_dense.conv.weight").getArray();
                float[] direct3 = k3.getGradient().add(k3.mul(wd)).toFloatArray();
                float[] direct1 = sd.get(prefix + "rbr_1x1.conv.weight").getArray().getGradient().toFloatArray();
                assertThat(direct3).as(prefix + " 3x3").containsExactly(autograd.get(prefix + "rbr_dense.conv.weight"),
                        org.assertj.core.data.Offset.offset(1e-6f));
                assertThat(direct1).as(prefix + " 1x1").containsExactly(autograd.get(prefix + "rbr_1x1.conv.weight"),
                        org.assertj.core.data.Offset.offset(1e-6f));
            }
        }
    }

    @Test
    void theDeployFormHasNoBranchesToDecay() {
        try (NDManager manager = NDManager.newBaseManager()) {
            RepVgg deploy = new RepVgg(SPEC, Form.DEPLOY, 3);
            assertThatThrownBy(() -> new CustomL2(deploy)).hasMessageContaining("custom L2 needs the train form");
        }
    }
}
