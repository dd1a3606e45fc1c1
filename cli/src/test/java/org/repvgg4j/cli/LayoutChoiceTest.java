package org.repvgg4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repvgg4j.platform.TrainingConvolutions;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.platform.ConvolutionVerdicts;
import org.repvgg4j.platform.ConvolutionVerdicts.Workload;

class LayoutChoiceTest {

    private static final RepVggSpec TINY = TinyWorkloads.TINY;

    private static Workload workload(int size, int... batches) {
        return TinyWorkloads.training(size, batches);
    }

    @Test
    void checksOncePerInstructionSetThenReadsTheCache(@TempDir Path cache) {
        Workload w = workload(32, 2);
        AtomicInteger calls = new AtomicInteger();
        assertThat(LayoutChoice.decide(w, "DEFAULT", cache, x -> calls.incrementAndGet() > 0)).isTrue();
        assertThat(LayoutChoice.decide(w, "DEFAULT", cache, x -> calls.incrementAndGet() < 0)).isTrue();
        assertThat(calls).hasValue(1);
        assertThat(LayoutChoice.decide(w, "AVX2", cache, x -> calls.incrementAndGet() < 0))
                .as("another instruction set is another check").isFalse();
        assertThat(calls).hasValue(2);
        assertThat(ConvolutionVerdicts.read(cache, w, "DEFAULT")).as("a verdict of its own, not the doctor's").isEmpty();
    }

    @Test
    void smallInputsAreNotChecked() {
        StringWriter log = new StringWriter();
        assertThat(LayoutChoice.rightFor(List.of(workload(TrainingConvolutions.MIN_CHANNELS_LAST_SIZE - 1, 2)), new PrintWriter(log)))
                .isEmpty();
        assertThat(log.toString()).isEmpty();
    }

    @Test
    void theRunsAreTheWorkloadsBatchSizes() {
        assertThat(LayoutChoice.runs(workload(48, 8, 32))).containsExactly(
                new TrainingConvolutions.ChannelsLastRun(TINY.name(), 48, 8), new TrainingConvolutions.ChannelsLastRun(TINY.name(), 48, 32));
    }

    @Test
    void theChildProcessRunsDoctorChannelsLastOnTheWorkload() {
        StringWriter log = new StringWriter();
        // AVX2 computes the tiny network right (as every test here assumes, pom.xml)
        assertThat(LayoutChoice.rightInChildProcess(workload(16, 2), "AVX2", new PrintWriter(log))).isTrue();
        assertThat(log.toString()).contains("right channels-last (repvgg doctor --channels-last");
        Workload broken = new Workload(TINY, 0, new TreeSet<>(List.of(2)), true, 2);
        assertThat(LayoutChoice.rightInChildProcess(broken, "AVX2", new PrintWriter(new StringWriter()))).isFalse();
    }
}
