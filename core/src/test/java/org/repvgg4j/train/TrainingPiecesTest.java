package org.repvgg4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TrainingPiecesTest {

    @Test
    void scheduleWarmsUpLinearlyThenFollowsACosine() {
        LearningRateSchedule s = new LearningRateSchedule(0.1, 0.0, 10, 110);
        assertThat(s.at(0)).isCloseTo(0.01, within(1e-12));
        assertThat(s.at(9)).isCloseTo(0.1, within(1e-12));
        assertThat(s.at(10)).isCloseTo(0.1, within(1e-12));
        assertThat(s.at(60)).isCloseTo(0.05, within(1e-12));
        assertThat(s.at(110)).isCloseTo(0.0, within(1e-12));
    }

    @Test
    void labelSmoothingLossMatchesHandComputation() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[] {2, 0, 0, 1, 1, 1}, new ai.djl.ndarray.types.Shape(2, 3));
            NDArray labels = m.create(new int[] {0, 2});
            double lse0 = Math.log(Math.exp(2) + 2);
            double[] logp0 = {2 - lse0, -lse0, -lse0};
            double logpUniform = -Math.log(3);
            double eps = 0.1;
            double row0 = -((1 - eps + eps / 3) * logp0[0] + eps / 3 * (logp0[1] + logp0[2]));
            double row1 = -logpUniform;
            float loss = new LabelSmoothingLoss((float) eps).evaluate(new NDList(labels), new NDList(logits)).getFloat();
            assertThat((double) loss).isCloseTo((row0 + row1) / 2, within(1e-6));
            float plain = new LabelSmoothingLoss(0).evaluate(new NDList(labels), new NDList(logits)).getFloat();
            assertThat((double) plain).isCloseTo((-logp0[0] - logpUniform) / 2, within(1e-6));
        }
    }

    /** Labels reused across steps must not hold each step's loss (and its autograd graph) alive. */
    @Test
    void lossBelongsToThePredictionsNotToALongLivedLabelsManager() {
        try (NDManager longLived = NDManager.newBaseManager()) {
            NDArray labels = longLived.create(new int[] {2, 0});
            NDArray before = labels.duplicate();
            try (NDManager step = longLived.newSubManager()) {
                NDArray logits = step.create(new float[] {0.1f, 0.2f, 0.3f, 1f, -1f, 0f}, new Shape(2, 3));
                NDArray loss = new LabelSmoothingLoss(0.1f).evaluate(new NDList(labels), new NDList(logits));
                assertThat(loss.getManager()).isSameAs(step);
                assertThat(labels.getManager()).isSameAs(longLived);
                assertThat(loss.getFloat()).isPositive();
            }
            assertThat(labels.toIntArray()).containsExactly(before.toIntArray());
        }
    }

    @Test
    void nesterovStepMatchesPyTorchsFormulaAndZeroesTheGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.create(new float[] {1f, -2f});
            w.setRequiresGradient(true);
            NDArray grad = m.create(new float[] {0.5f, 0.25f});
            NesterovSgd decayed = new NesterovSgd(0.9f, 0.1f, Set.of());
            decayed.setLearningRate(0.1);
            decayed.update("w", w, grad.duplicate()); // the optimizer may overwrite the gradient it is given
            // g = grad + wd*w = (0.6, 0.05); v = g; step = g + 0.9 v = 1.9 g; w -= 0.1 * step
            assertThat(w.toFloatArray()[0]).isCloseTo(1f - 0.1f * 1.9f * 0.6f, within(1e-6f));
            assertThat(w.toFloatArray()[1]).isCloseTo(-2f - 0.1f * 1.9f * 0.05f, within(1e-6f));
            decayed.update("w", w, grad.duplicate());
            // second step: g2 = grad + wd*w1, v2 = 0.9 v1 + g2, w2 = w1 - 0.1 (g2 + 0.9 v2)
            float w1 = 1f - 0.1f * 1.9f * 0.6f;
            float g2 = 0.5f + 0.1f * w1;
            float v2 = 0.9f * 0.6f + g2;
            assertThat(w.toFloatArray()[0]).isCloseTo(w1 - 0.1f * (g2 + 0.9f * v2), within(1e-6f));
            assertThat(w.getGradient().toFloatArray()).containsOnly(0f);

            NDArray bias = m.create(new float[] {1f});
            bias.setRequiresGradient(true);
            NesterovSgd noDecay = new NesterovSgd(0.9f, 0.1f, Set.of("b"));
            noDecay.setLearningRate(1);
            noDecay.update("b", bias, m.create(new float[] {0.5f}));
            assertThat(bias.toFloatArray()[0]).isCloseTo(1f - 1.9f * 0.5f, within(1e-6f));
        }
    }

    @Test
    void stepUpdatesFromTheRealGradientsAndZeroesThem() {
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter weight = Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT).build();
            weight.setArray(m.create(new float[] {1f, -2f}));
            weight.getArray().setRequiresGradient(true); // as Parameter.initialize does
            Parameter frozen = Parameter.builder().setName("running_mean").setType(Parameter.Type.RUNNING_MEAN)
                    .optRequiresGrad(false).build();
            frozen.setArray(m.create(new float[] {3f}));
            Parameter unused = Parameter.builder().setName("unused").setType(Parameter.Type.WEIGHT).build();
            unused.setArray(m.create(new float[] {4f}));
            unused.getArray().setRequiresGradient(true); // but not in the loss: no gradient, no update (as PyTorch)
            NesterovSgd sgd = new NesterovSgd(0.9f, 0.1f, Set.of());
            sgd.setLearningRate(0.1);
            for (int step = 0; step < 2; step++) {
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    // loss = 0.5 * w0 + 0.25 * w1: the gradient is (0.5, 0.25) at every step
                    collector.backward(weight.getArray().mul(m.create(new float[] {0.5f, 0.25f})).sum());
                }
                sgd.step(List.of(weight, frozen, unused));
                assertThat(weight.getArray().getGradient().toFloatArray()).as("zeroed for the next pass").containsOnly(0f);
            }
            // the same two steps as nesterovStepMatchesPyTorchsFormulaAndZeroesTheGradient
            float w1 = 1f - 0.1f * 1.9f * 0.6f;
            float g2 = 0.5f + 0.1f * w1;
            float v2 = 0.9f * 0.6f + g2;
            assertThat(weight.getArray().toFloatArray()[0]).isCloseTo(w1 - 0.1f * (g2 + 0.9f * v2), within(1e-6f));
            assertThat(frozen.getArray().toFloatArray()).containsExactly(3f);
            assertThat(unused.getArray().toFloatArray()).containsExactly(4f);
            assertThat(sgd.velocity()).containsOnlyKeys(weight.getId());
        }
    }
    @Test
    void theOneCallUpdateIsLoadedAndComputesWhatTheStepByStepOneDoes() {
        assertThat(FusedUpdate.available()).as("nesterov_update.pt loads in this libtorch").isTrue();
        try (NDManager m = NDManager.newBaseManager()) {
            // two copies of three parameters: one decays, one does not, one takes no part
            List<List<Parameter>> copies = new java.util.ArrayList<>();
            NDArray start = m.randomNormal(new Shape(6, 5));
            NDArray bias = m.randomNormal(new Shape(6));
            for (int c = 0; c < 2; c++) {
                Parameter w = Parameter.builder().setName("w").setType(Parameter.Type.WEIGHT).build();
                w.setArray(start.duplicate());
                w.getArray().setRequiresGradient(true);
                Parameter b = Parameter.builder().setName("b").setType(Parameter.Type.BIAS).build();
                b.setArray(bias.duplicate());
                b.getArray().setRequiresGradient(true);
                Parameter unused = Parameter.builder().setName("u").setType(Parameter.Type.WEIGHT).build();
                unused.setArray(m.ones(new Shape(3)));
                unused.getArray().setRequiresGradient(true);
                copies.add(List.of(w, b, unused));
            }
            NesterovSgd[] sgds = new NesterovSgd[2];
            for (int c = 0; c < 2; c++) {
                sgds[c] = new NesterovSgd(0.9f, 0.05f, Set.of(copies.get(c).get(1).getId()));
            }
            NDArray x = m.randomNormal(new Shape(4, 5));
            for (int step = 0; step < 3; step++) {
                for (int c = 0; c < 2; c++) {
                    List<Parameter> p = copies.get(c);
                    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        NDArray y = x.matMul(p.get(0).getArray().transpose()).add(p.get(1).getArray());
                        collector.backward(y.square().sum());
                    }
                    sgds[c].setLearningRate(0.01 * (step + 1)); // the schedule changes the rate every step
                    if (c == 0) {
                        sgds[c].step(p);
                    } else {
                        sgds[c].stepEach(p);
                    }
                    assertThat(p.get(0).getArray().getGradient().toFloatArray()).containsOnly(0f);
                }
            }
            for (int i = 0; i < 2; i++) {
                float[] fused = copies.get(0).get(i).getArray().toFloatArray();
                float[] each = copies.get(1).get(i).getArray().toFloatArray();
                float[] before = (i == 0 ? start : bias).toFloatArray();
                for (int k = 0; k < fused.length; k++) {
                    assertThat(fused[k]).isCloseTo(each[k], within(1e-5f));
                    assertThat(fused[k]).isNotEqualTo(before[k]);
                }
            }
            sgds[0].step(List.of(copies.get(0).get(2))); // nothing to update: no call at all
            assertThat(copies.get(0).get(2).getArray().toFloatArray()).containsOnly(1f);
            assertThat(sgds[0].velocity()).containsOnlyKeys(copies.get(0).get(0).getId(), copies.get(0).get(1).getId());
        }
    }
}
