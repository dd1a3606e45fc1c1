package org.repvgg4j.infer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ScoresTest {

    @Test
    void softmaxOfFloatsIsTheDoubleSoftmaxRoundedToFloat() {
        float[] logits = {2.5f, -1f, 0.125f, 2.5f, 1000f};
        double[] p = Scores.probabilities(logits);
        float[] f = Scores.softmax(logits);
        for (int i = 0; i < logits.length; i++) {
            assertThat(f[i]).isEqualTo((float) p[i]);
        }
        // the largest logit is subtracted first: 1000 does not overflow
        assertThat(p[4]).isEqualTo(1.0);
        double[] q = Scores.softmax(new double[] {Math.log(1), Math.log(3)});
        assertThat(q[0]).isCloseTo(0.25, within(1e-15));
        assertThat(q[1]).isCloseTo(0.75, within(1e-15));
    }

    @Test
    void topKIsLargestFirstWithTiesInIndexOrder() {
        float[] values = {0.1f, 0.4f, 0.4f, 0.05f, 0.05f};
        assertThat(Scores.topK(values, 3)).containsExactly(1, 2, 0);
        assertThat(Scores.topK(values, 10)).containsExactly(1, 2, 0, 3, 4);
        assertThat(Scores.argmax(values)).isEqualTo(1);
        assertThat(Scores.argmax(new double[] {0.1, 0.4, 0.4})).isEqualTo(1);
        assertThat(Scores.argmax(new double[0])).isEqualTo(-1);
    }
}
