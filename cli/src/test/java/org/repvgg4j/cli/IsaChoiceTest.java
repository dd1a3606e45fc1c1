package org.repvgg4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.platform.ConvolutionVerdicts.Workload;

class IsaChoiceTest {

    private static final RepVggSpec TINY = RepVggSpec.parse("depths=1,1,1,1;widths=0.25,0.25,0.25,0.25");

    private static Workload workload(int... batches) {
        TreeSet<Integer> set = new TreeSet<>();
        for (int b : batches) {
            set.add(b);
        }
        return new Workload(TINY, 16, set, true, 2);
    }

    /** A stand-in for the child-process check that counts its calls. */
    private static Predicate<Workload> answering(boolean right, AtomicInteger calls) {
        return w -> {
            calls.incrementAndGet();
            return right;
        };
    }

    @Test
    void keepsWhatTheUserSetAndTheDefault(@TempDir Path cache) {
        AtomicInteger calls = new AtomicInteger();
        // no launcher mark: the user chose AVX2 and it stays
        assertThat(IsaChoice.decide(workload(8), "AVX2", null, cache, answering(true, calls))).isNull();
        // already the default, or unset (oneDNN's default): nothing to reconsider
        assertThat(IsaChoice.decide(workload(8), "DEFAULT", "1", cache, answering(true, calls))).isNull();
        assertThat(IsaChoice.decide(workload(8), null, "1", cache, answering(true, calls))).isNull();
        assertThat(calls).hasValue(0);
    }

    @Test
    void switchesToTheDefaultKernelsOnlyWhereTheyAreRightAndCachesTheVerdict(@TempDir Path cache) {
        AtomicInteger calls = new AtomicInteger();
        assertThat(IsaChoice.decide(workload(8, 3), "AVX2", "1", cache, answering(true, calls))).isEqualTo("DEFAULT");
        assertThat(IsaChoice.decide(workload(3, 8), "AVX2", "1", cache, answering(false, calls)))
                .as("same workload: the cached verdict, not a second check").isEqualTo("DEFAULT");
        assertThat(calls).hasValue(1);

        assertThat(IsaChoice.decide(workload(4), "AVX2", "1", cache, answering(false, calls))).isNull();
        assertThat(IsaChoice.decide(workload(4), "AVX2", "1", cache, answering(true, calls))).isNull();
        assertThat(calls).as("another batch size is another workload").hasValue(2);
    }

    @Test
    void aCorruptCacheEntryIsCheckedAgain(@TempDir Path cache) throws Exception {
        AtomicInteger calls = new AtomicInteger();
        IsaChoice.decide(workload(8), "AVX2", "1", cache, answering(false, calls));
        try (var files = Files.list(cache)) {
            Files.writeString(files.findFirst().orElseThrow(), "garbage");
        }
        assertThat(IsaChoice.decide(workload(8), "AVX2", "1", cache, answering(true, calls))).isEqualTo("DEFAULT");
        assertThat(calls).hasValue(2);
    }

    @Test
    void theChildProcessRunsDoctorOnTheWorkload() {
        StringWriter log = new StringWriter();
        // AVX2 computes the tiny network right (as every test here assumes, pom.xml)
        assertThat(IsaChoice.rightInChildProcess(workload(2), "AVX2", new PrintWriter(log))).isTrue();
        assertThat(log.toString()).contains("AVX2 kernels are right for depths=1,1,1,1");
        // a workload doctor cannot run (no batch size it accepts) is not right
        Workload broken = new Workload(TINY, 0, new TreeSet<>(List.of(2)), true, 2);
        assertThat(IsaChoice.rightInChildProcess(broken, "AVX2", new PrintWriter(new StringWriter()))).isFalse();
    }
}
