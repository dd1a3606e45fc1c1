package org.repvgg4j.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.platform.ConvolutionVerdicts.Workload;

class ConvolutionVerdictsTest {

    private static final RepVggSpec TINY = RepVggSpec.parse("depths=1,1,1,1;widths=0.25,0.25,0.25,0.25");

    @Test
    void aVerdictHoldsForTheSameWorkloadAndInstructionSetOnly(@TempDir Path dir) {
        Workload training = Workload.training(TINY, 32, 8, 20); // batches 8 and 20 % 8 = 4
        assertThat(training.batches()).containsExactly(4, 8);
        assertThat(ConvolutionVerdicts.read(dir, training, "AVX2")).isEmpty();

        ConvolutionVerdicts.write(dir, training, "AVX2", true);
        ConvolutionVerdicts.write(dir, training, "DEFAULT", false);
        assertThat(ConvolutionVerdicts.read(dir, training, "AVX2")).contains(true);
        assertThat(ConvolutionVerdicts.read(dir, training, "DEFAULT")).contains(false);
        assertThat(ConvolutionVerdicts.read(dir, Workload.training(TINY, 32, 8, 16), "AVX2"))
                .as("no partial batch: another workload").isEmpty();
        assertThat(ConvolutionVerdicts.read(dir, new Workload(TINY, 32, new TreeSet<>(List.of(4, 8)), false, null), "AVX2"))
                .as("inference only: another workload").isEmpty();
        assertThat(ConvolutionVerdicts.read(dir, new Workload(TINY, 32, new TreeSet<>(List.of(4, 8)), true, 1), "AVX2"))
                .as("one thread: another workload").isEmpty();
    }

    @Test
    void anUnreadableVerdictCountsAsUnchecked(@TempDir Path dir) throws Exception {
        Workload w = Workload.training(TINY, 16, 2, 10);
        ConvolutionVerdicts.write(dir, w, "AVX2", true);
        try (var files = Files.list(dir)) {
            Files.writeString(files.findFirst().orElseThrow(), "maybe");
        }
        assertThat(ConvolutionVerdicts.read(dir, w, "AVX2")).isEmpty();
    }

    @Test
    void theWorkloadsProblemsCoverEveryBatchSize() {
        Workload w = Workload.training(TINY, 16, 3, 4); // batches 1 and 3
        assertThat(w.problems()).extracting(ConvolutionCheck.Problem::batch).containsOnly(1, 3);
        assertThat(w.problems()).hasSize(2 * ConvolutionCheck.problemsOf(TINY, 16, 3).size());
        assertThat(w.describe()).isEqualTo(TINY.name() + " at 16x16, batch 1, 3, training");
    }

    @Test
    void stridedListsAreKeptApartFromVerdictsAndReadBackExactly(@TempDir Path dir) {
        Workload w = Workload.training(TINY, 32, 8, 20);
        List<ConvolutionCheck.Problem> right = ConvolutionCheck.stridedProblemsOf(TINY, 32, 8).subList(0, 3);
        assertThat(ConvolutionVerdicts.readStrided(dir, w, "DEFAULT")).isEmpty();
        ConvolutionVerdicts.write(dir, w, "DEFAULT", true);
        assertThat(ConvolutionVerdicts.readStrided(dir, w, "DEFAULT")).as("a verdict is not a list").isEmpty();

        ConvolutionVerdicts.writeStrided(dir, w, "DEFAULT", right);
        ConvolutionVerdicts.writeStrided(dir, w, null, List.of());
        assertThat(ConvolutionVerdicts.readStrided(dir, w, "DEFAULT")).contains(right);
        assertThat(ConvolutionVerdicts.readStrided(dir, w, null)).as("checked, none right").contains(List.of());
        assertThat(ConvolutionVerdicts.readStrided(dir, w, "AVX2")).isEmpty();
        assertThat(ConvolutionVerdicts.read(dir, w, "DEFAULT")).contains(true);
    }

    @Test
    void aConvolutionLineReadsBackAndAnythingElseIsRefused() {
        ConvolutionCheck.Problem p = new ConvolutionCheck.Problem(32, 48, 96, 3, 2, 12, 2);
        assertThat(ConvolutionVerdicts.line(p)).isEqualTo("32 48 96 3 2 12 2");
        assertThat(ConvolutionVerdicts.problem(ConvolutionVerdicts.line(p))).isEqualTo(p);
        for (String bad : List.of("", "32 48 96 3 2 12", "32 48 96 3 2 1x 2", "32 48 96 3 2 12 2 1", "0 48 96 3 2 12 1")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> ConvolutionVerdicts.problem(bad))
                    .as("'%s'", bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
