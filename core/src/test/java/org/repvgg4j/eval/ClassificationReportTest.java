package org.repvgg4j.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassificationReportTest {

    /** Scores whose argmax is {@code predicted}. */
    private static float[] pick(int predicted, int classes) {
        float[] s = new float[classes];
        s[predicted] = 1;
        return s;
    }

    /**
     * Seven images of three classes, worked by hand:
     * <pre>
     *              predicted cat dog bird
     *   true cat            2   1   0      support 3
     *   true dog            0   2   0      support 2
     *   true bird           1   1   0      support 2
     * </pre>
     * cat: P = 2/3, R = 2/3, F1 = 2/3; dog: P = 2/4, R = 1, F1 = 2/3; bird: P = 0 (never predicted), R = 0, F1 = 0.
     */
    private static ClassificationReport handWorked() {
        ClassificationReport r = new ClassificationReport(List.of("cat", "dog", "bird"));
        int[][] truePredicted = {{0, 0}, {0, 0}, {0, 1}, {1, 1}, {1, 1}, {2, 0}, {2, 1}};
        for (int[] tp : truePredicted) {
            r.add(tp[0], pick(tp[1], 3));
        }
        return r;
    }

    @Test
    void perClassNumbersMatchTheHandComputation() {
        ClassificationReport r = handWorked();
        assertThat(r.top1()).isCloseTo(4.0 / 7, within(1e-12));
        var rows = r.rows();
        assertThat(rows.get(0).precision()).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(rows.get(0).recall()).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(rows.get(0).f1()).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(rows.get(1).precision()).isCloseTo(0.5, within(1e-12));
        assertThat(rows.get(1).recall()).isCloseTo(1.0, within(1e-12));
        assertThat(rows.get(1).f1()).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(rows.get(2).precision()).isZero();
        assertThat(rows.get(2).f1()).isZero();
        assertThat(rows).extracting(ClassificationReport.ClassRow::support).containsExactly(3L, 2L, 2L);

        var macro = r.macroAverage();
        assertThat(macro.precision()).isCloseTo((2.0 / 3 + 0.5 + 0) / 3, within(1e-12));
        assertThat(macro.recall()).isCloseTo((2.0 / 3 + 1 + 0) / 3, within(1e-12));
        assertThat(macro.f1()).isCloseTo((2.0 / 3 + 2.0 / 3) / 3, within(1e-12));
        var weighted = r.weightedAverage();
        assertThat(weighted.precision()).isCloseTo((3 * 2.0 / 3 + 2 * 0.5) / 7, within(1e-12));
        assertThat(weighted.recall()).isCloseTo(4.0 / 7, within(1e-12));
        assertThat(weighted.support()).isEqualTo(7);
    }

    @Test
    void topFiveCountsTheTrueClassAmongTheFiveBest() {
        ClassificationReport r = new ClassificationReport(List.of("a", "b", "c", "d", "e", "f", "g"));
        r.add(0, new float[] {0.5f, 1, 2, 3, 4, 5, 6});    // rank 7: miss
        r.add(0, new float[] {2.5f, 1, 2, 3, 4, 5, 6});    // rank 5: hit
        r.add(6, new float[] {0, 1, 2, 3, 4, 5, 6});       // rank 1: hit, and top-1
        assertThat(r.top5()).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(r.top1()).isCloseTo(1.0 / 3, within(1e-12));
    }

    @Test
    void confusionMatrixIsWrittenAsCsvAndPng(@TempDir Path tmp) throws Exception {
        ClassificationReport r = handWorked();
        assertThat(r.confusionCsv()).isEqualTo("true\\predicted,cat,dog,bird\ncat,2,1,0\ndog,0,2,0\nbird,1,1,0\n");
        Path png = tmp.resolve("confusion.png");
        r.writeHeatmap(png);
        assertThat(javax.imageio.ImageIO.read(png.toFile()).getWidth()).isGreaterThan(100);
        assertThat(r.toMarkdown()).contains("| bird | 0.0000 | 0.0000 | 0.0000 | 2 |").contains("top-1 0.5714");
    }
}
