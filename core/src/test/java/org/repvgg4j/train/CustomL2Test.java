package org.repvgg4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
            assertThat(new CustomL2(net).kernelIds()).hasSize(2 * net.blocks().size())
                    .contains(sd.get("stage2.1.rbr_1x1.conv.weight").getId(), sd.get("stage0.rbr_dense.conv.weight").getId())
                    .doesNotContain(sd.get("stage2.1.rbr_dense.bn.weight").getId());
        }
    }

    @Test
    void gradientReachesTheKernelsOnlyAndIsTheFormulasDerivative() {
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
                assertThat((double) g1[i]).as("d/dK1[%d]", i)
                        .isCloseTo(2 * fused * t1[out] / norm, org.assertj.core.api.Assertions.within(1e-5));
                assertThat((double) g3[i * 9 + 4]).as("d/dK3 centre [%d]", i)
                        .isCloseTo(2 * fused * t3[out] / norm, org.assertj.core.api.Assertions.within(1e-5));
                assertThat((double) g3[i * 9]).as("d/dK3 ring [%d]", i)
                        .isCloseTo(2.0 * k3[i * 9], org.assertj.core.api.Assertions.within(1e-5));
            }
            NDArray gammaGrad = sd.get(prefix + "rbr_dense.bn.weight").getArray().getGradient();
            assertThat(gammaGrad.abs().max().getFloat()).as("the BN scales are held constant").isZero();
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
