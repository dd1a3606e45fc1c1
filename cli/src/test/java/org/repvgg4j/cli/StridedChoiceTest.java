package org.repvgg4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.platform.ConvolutionCheck;
import org.repvgg4j.platform.ConvolutionCheck.Problem;
import org.repvgg4j.platform.ConvolutionVerdicts.Workload;

class StridedChoiceTest {

    private static final RepVggSpec TINY = TinyWorkloads.TINY;

    private static Workload workload(int size, int... batches) {
        return TinyWorkloads.training(size, batches);
    }

    @Test
    void theWorkloadsStridedProblemsAreEveryLayerAfterTheStemAtEveryBatchSize() {
        List<Problem> problems = StridedChoice.problems(workload(32, 2, 3));
        // four stride-2 layers after the stem, two branches each, two batch sizes
        assertThat(problems).hasSize(16).allMatch(p -> p.stride() == 2 && p.inChannels() > 3);
        assertThat(problems).extracting(Problem::batch).containsOnly(2, 3);
    }

    @Test
    void checksOnceThenReadsTheCacheAndKeepsOnlyTheWorkloadsConvolutions(@TempDir Path cache) {
        Workload w = workload(32, 2);
        List<Problem> ours = ConvolutionCheck.stridedProblemsOf(TINY, 32, 2);
        Problem foreign = new Problem(2, 48, 96, 3, 2, 12, 1);
        AtomicInteger calls = new AtomicInteger();
        List<Problem> answer = new ArrayList<>(ours.subList(0, 5));
        answer.add(foreign);
        List<Problem> first = StridedChoice.decide(w, "DEFAULT", cache, x -> {
            calls.incrementAndGet();
            return answer;
        });
        List<Problem> second = StridedChoice.decide(w, "DEFAULT", cache, x -> {
            calls.incrementAndGet();
            return List.of();
        });
        assertThat(first).containsExactlyElementsOf(ours.subList(0, 5));
        assertThat(second).isEqualTo(first);
        assertThat(calls).hasValue(1);
        StridedChoice.decide(w, "AVX2", cache, x -> {
            calls.incrementAndGet();
            return List.of();
        });
        assertThat(calls).as("another instruction set is another check").hasValue(2);
    }

    @Test
    void theChildProcessRunsDoctorStridedOnTheWorkload() {
        StringWriter log = new StringWriter();
        Workload w = workload(16, 2);
        // AVX2 computes the tiny network right (as every test here assumes, pom.xml)
        assertThat(StridedChoice.rightInChildProcess(w, "AVX2", new PrintWriter(log)))
                .containsExactlyElementsOf(StridedChoice.problems(w));
        assertThat(log.toString()).contains("which stride-2 layers oneDNN computes right strided for depths=1,1,1,1");
        // a workload doctor cannot run has nothing right
        Workload broken = new Workload(TINY, 0, new TreeSet<>(List.of(2)), true, 2);
        assertThat(StridedChoice.rightInChildProcess(broken, "AVX2", new PrintWriter(new StringWriter()))).isEmpty();
    }
}
