package org.repvgg4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BatchMixingTest {

    private static final int N = 4;
    private static final int H = 6;
    private static final int W = 5;
    private static final int CLASSES = 3;

    /** Image i is constant i + 1 everywhere, so every mixed pixel says where it came from. */
    private static NDArray images(NDManager m) {
        float[] v = new float[N * 3 * H * W];
        for (int i = 0; i < v.length; i++) {
            v[i] = i / (3 * H * W) + 1;
        }
        return m.create(v, new Shape(N, 3, H, W));
    }

    @Test
    void mixupBlendsEachImageWithItsPartnerAndTheTargetsAlike() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray labels = m.create(new int[] {0, 1, 2, 1});
            BatchMixing.Mixed mixed = new BatchMixing(0.4, 0, 7).apply(images(m), labels, CLASSES, 12);

            double lam = mixed.lam();
            assertThat(mixed.cutmix()).isFalse();
            assertThat(lam).isBetween(0.0, 1.0);
            float[] x = mixed.images().toFloatArray();
            for (int i = 0; i < N; i++) {
                double expected = lam * (i + 1) + (1 - lam) * (N - i);
                assertThat((double) x[i * 3 * H * W + 17]).as("image %d", i).isCloseTo(expected, within(1e-5));
            }
            float[] t = mixed.targets().toFloatArray();
            // image 0 (class 0) with image 3 (class 1); image 1 (class 1) with image 2 (class 2)
            assertThat((double) t[0]).isCloseTo(lam, within(1e-6));
            assertThat((double) t[1]).isCloseTo(1 - lam, within(1e-6));
            assertThat((double) t[CLASSES + 1]).isCloseTo(lam, within(1e-6));
            assertThat((double) t[CLASSES + 2]).isCloseTo(1 - lam, within(1e-6));
            assertThat(mixed.targets().sum(new int[] {1}).toFloatArray()).containsOnly(1f);
        }
    }

    @Test
    void cutmixPastesABoxWhoseAreaIsTheTargetWeight() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray labels = m.create(new int[] {0, 1, 2, 1});
            boolean sawBox = false;
            for (long step = 0; step < 20; step++) {
                BatchMixing.Mixed mixed = new BatchMixing(0, 1.0, 3).apply(images(m), labels, CLASSES, step);
                assertThat(mixed.cutmix()).isTrue();
                float[] x = mixed.images().toFloatArray();
                for (int i = 0; i < N; i++) {
                    int own = 0;
                    int pasted = 0;
                    for (int p = 0; p < 3 * H * W; p++) {
                        float v = x[i * 3 * H * W + p];
                        if (v == i + 1) {
                            own++;
                        } else {
                            assertThat(v).as("pixel from the partner").isEqualTo((float) (N - i));
                            pasted++;
                        }
                    }
                    assertThat((double) own / (own + pasted)).as("step %d image %d", step, i)
                            .isCloseTo(mixed.lam(), within(1e-9));
                    sawBox |= pasted > 0;
                }
                assertThat((double) mixed.targets().toFloatArray()[0]).isCloseTo(mixed.lam(), within(1e-6));
            }
            assertThat(sawBox).isTrue();
        }
    }

    @Test
    void theSameSeedAndStepMixTheSameWayAndBothMethodsTakeTurns() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray labels = m.create(new int[] {0, 1, 2, 1});
            BatchMixing both = new BatchMixing(0.2, 1.0, 5);
            int cutmix = 0;
            for (long step = 0; step < 40; step++) {
                BatchMixing.Mixed a = both.apply(images(m), labels, CLASSES, step);
                BatchMixing.Mixed b = new BatchMixing(0.2, 1.0, 5).apply(images(m), labels, CLASSES, step);
                assertThat(b.lam()).isEqualTo(a.lam());
                assertThat(b.images().toFloatArray()).containsExactly(a.images().toFloatArray());
                cutmix += a.cutmix() ? 1 : 0;
            }
            assertThat(cutmix).isBetween(10, 30);
            assertThat(BatchMixing.of(0, 0, 1)).isNull();
            assertThatThrownBy(() -> new BatchMixing(-1, 0, 1)).hasMessageContaining("alphas");
        }
    }

    @Test
    void betaDrawsHaveTheBetaDistributionsMeanAndVariance() {
        SplittableRandom random = new SplittableRandom(11);
        for (double a : new double[] {0.2, 1.0, 4.0}) {
            int n = 200_000;
            double sum = 0;
            double squares = 0;
            for (int i = 0; i < n; i++) {
                double x = BatchMixing.beta(random, a);
                assertThat(x).isBetween(0.0, 1.0);
                sum += x;
                squares += x * x;
            }
            double mean = sum / n;
            double variance = squares / n - mean * mean;
            assertThat(mean).as("alpha %s", a).isCloseTo(0.5, within(0.005));
            // Beta(a, a): variance 1 / (4 (2a + 1))
            assertThat(variance).as("alpha %s", a).isCloseTo(1 / (4 * (2 * a + 1)), within(0.003));
        }
    }

    @Test
    void aRunFromBeforeMixingAndAugmentationResumesWithThemOff(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        TrainSettings now = new TrainSettings("A0", "t.txt", "v.txt", "a.txt", null, 32, 3, 8, 0.01, 0, 1, 0.9, 1e-4,
                0.1, 0, 0.08, 1, 0.875, 0, 2, 0.2, 1.0, "original", 0.25, true, "stage2", true);
        now.write(dir);
        assertThat(TrainSettings.read(dir)).isEqualTo(now);
        assertThat(TrainSettings.read(dir).augmentation()).isEqualTo(new org.repvgg4j.data.augment.AutoAugment(0));
        assertThat(TrainSettings.read(dir).frozenStages()).isEqualTo(2);
        String before = java.nio.file.Files.readString(dir.resolve(TrainSettings.FILE))
                .replaceAll(",\\s*\"mixup\": 0.2", "").replaceAll(",\\s*\"cutmix\": 1.0", "")
                .replaceAll(",\\s*\"augment\": \"original\"", "").replaceAll(",\\s*\"randomErasing\": 0.25", "")
                .replaceAll(",\\s*\"customL2\": true", "").replaceAll(",\\s*\"freezeThrough\": \"stage2\"", "")
                .replaceAll(",\\s*\"balanced\": true", "");
        assertThat(before).doesNotContain("mixup").doesNotContain("cutmix").doesNotContain("augment")
                .doesNotContain("randomErasing").doesNotContain("customL2")
                .doesNotContain("freezeThrough").doesNotContain("balanced");
        java.nio.file.Files.writeString(dir.resolve(TrainSettings.FILE), before);
        TrainSettings old = TrainSettings.read(dir);
        assertThat(old.mixup()).isZero();
        assertThat(old.cutmix()).isZero();
        assertThat(old.augmentation()).isNull();
        assertThat(old.randomErasing()).isZero();
        assertThat(old.customL2()).isFalse();
        assertThat(old.frozenStages()).isEqualTo(-1);
        assertThat(old.balanced()).isFalse();
        assertThat(old.epochs()).isEqualTo(3);
    }

    @Test
    void theLossTakesClassProbabilitiesAsItTakesClassIndices() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[] {2, -1, 0.5f, 0, 1, 3}, new Shape(2, 3));
            NDArray indices = m.create(new int[] {0, 2});
            NDArray oneHot = m.create(new float[] {1, 0, 0, 0, 0, 1}, new Shape(2, 3));
            LabelSmoothingLoss loss = new LabelSmoothingLoss(0.1f);
            assertThat(loss.evaluate(new NDList(oneHot), new NDList(logits)).getFloat())
                    .isCloseTo(loss.evaluate(new NDList(indices), new NDList(logits)).getFloat(), within(1e-6f));
            // A 30/70 target is 0.3 of one class's loss plus 0.7 of the other's.
            NDArray soft = m.create(new float[] {0.3f, 0, 0.7f, 0.3f, 0, 0.7f}, new Shape(2, 3));
            float a = loss.evaluate(new NDList(m.create(new int[] {0, 0})), new NDList(logits)).getFloat();
            float b = loss.evaluate(new NDList(m.create(new int[] {2, 2})), new NDList(logits)).getFloat();
            assertThat(loss.evaluate(new NDList(soft), new NDList(logits)).getFloat()).isCloseTo(0.3f * a + 0.7f * b, within(1e-5f));
        }
    }
}
