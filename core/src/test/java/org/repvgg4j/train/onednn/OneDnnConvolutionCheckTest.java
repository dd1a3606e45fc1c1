package org.repvgg4j.train.onednn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.platform.ConvolutionCheck;

/**
 * The check that decides whether a run trains on the oneDNN graph: each convolution through the graph's
 * own primitives against float64. It passes the graph's convolutions here and fails an engine whose
 * weight gradient is off by 1%.
 */
class OneDnnConvolutionCheckTest {

    @Test
    void theGraphsConvolutionsAreRightAndAWrongGradientIsCaught() {
        // Every kind the graph runs: stem (3 channels), 3x3 and 1x1, stride 1 and 2, groups.
        List<ConvolutionCheck.Problem> problems = ConvolutionCheck.problemsOf(
                RepVggSpec.parse("depths=1,2,1,1;widths=0.125,0.125,0.0625,0.0625;groups=2"), 32, 8);
        assertThat(problems).extracting(ConvolutionCheck.Problem::groups).contains(1, 2);
        assertThat(problems).extracting(ConvolutionCheck.Problem::stride).contains(1, 2);
        try (NDManager manager = NDManager.newBaseManager()) {
            for (ConvolutionCheck.Problem p : problems) {
                ConvolutionCheck.Result right = ConvolutionCheck.check(manager, p, 7, OneDnnTraining::convolve);
                assertThat(right.wrong()).as(p.describe() + ": " + right).isFalse();
                assertThat(right.worst()).as(p.describe()).isLessThan(1e-5);
            }
            ConvolutionCheck.Problem p = problems.get(1);
            ConvolutionCheck.Result off = ConvolutionCheck.check(manager, p, 7, (problem, x, w, upstream) -> {
                float[][] results = OneDnnTraining.convolve(problem, x, w, upstream);
                for (int i = 0; i < results[2].length; i++) {
                    results[2][i] *= 1.01f;
                }
                return results;
            });
            assertThat(off.wrong()).isTrue();
            assertThat(off.wrongParts()).isEqualTo("weight gradient");
        }
    }
}
