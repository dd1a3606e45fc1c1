package org.repvgg4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.repvgg4j.platform.ConvolutionCheck;
import org.repvgg4j.platform.ConvolutionVerdicts;
import org.repvgg4j.platform.ConvolutionVerdicts.Workload;
import org.repvgg4j.platform.OneDnnIsa;
import org.repvgg4j.platform.TrainingConvolutions;
import org.repvgg4j.platform.TrainingConvolutions.ChannelsLastRun;

/**
 * Per-run choice of the activations' memory layout in training: channels-last after the stem where
 * oneDNN computes every one of the run's convolutions after the stem right in that layout, NCHW
 * elsewhere, and for inputs under {@value TrainingConvolutions#MIN_CHANNELS_LAST_SIZE} pixels a side,
 * where it is not faster ({@link TrainingConvolutions}).
 *
 * <p>The check is {@code repvgg doctor --channels-last} in a child process with the instruction set
 * this run uses: with oneDNN's AVX-512 kernels some channels-last convolutions have been wrong and
 * one corrupted the heap (docs/BENCHMARKS.md, "Wrong convolutions"). A crash or a timeout counts as wrong. The verdict is cached per workload
 * ({@link ConvolutionVerdicts}, method {@value ConvolutionCheck#CHANNELS_LAST_METHOD}).
 */
final class LayoutChoice {

    private LayoutChoice() {
    }

    /**
     * The training runs of these workloads whose convolutions are right channels-last. Call after
     * {@link IsaChoice#applyFor}: the answer is for the instruction set in effect.
     */
    static List<ChannelsLastRun> rightFor(List<Workload> workloads, PrintWriter err) {
        List<ChannelsLastRun> allowed = new ArrayList<>();
        if (TrainingConvolutions.channelsLastSwitchedOff()) {
            return allowed;
        }
        String isa = OneDnnIsa.current();
        for (Workload workload : workloads) {
            if (!workload.gradients() || workload.batches().isEmpty()
                    || workload.imageSize() < TrainingConvolutions.MIN_CHANNELS_LAST_SIZE) {
                continue;
            }
            boolean right = decide(workload, isa, ConvolutionVerdicts.directory(),
                    w -> rightInChildProcess(w, isa, err));
            if (right) {
                allowed.addAll(runs(workload));
            }
            err.printf("repvgg: training %s: activations %s after the stem (channels-last convolutions checked with %s=%s)%n",
                    workload.describe(), right ? "channels-last" : "NCHW (some convolution is not right channels-last)",
                    OneDnnIsa.VARIABLE, isa == null ? "(unset)" : isa);
            err.flush();
        }
        return allowed;
    }

    /** Right when {@code cacheDir} says so, or else {@code check} does; its answer is cached. */
    static boolean decide(Workload workload, String isa, Path cacheDir, Predicate<Workload> check) {
        return ConvolutionVerdicts.read(cacheDir, workload, isa, ConvolutionCheck.CHANNELS_LAST_METHOD).orElseGet(() -> {
            boolean verdict = check.test(workload);
            ConvolutionVerdicts.write(cacheDir, workload, isa, ConvolutionCheck.CHANNELS_LAST_METHOD, verdict);
            return verdict;
        });
    }

    /** The workload's network and size at each of its batch sizes. */
    static List<ChannelsLastRun> runs(Workload workload) {
        return workload.batches().stream()
                .map(batch -> new ChannelsLastRun(workload.spec().name(), workload.imageSize(), batch))
                .toList();
    }

    /**
     * Runs {@code repvgg doctor --channels-last} on the workload in a child JVM with
     * {@code ONEDNN_MAX_CPU_ISA=isa}; right when it exits with 0.
     */
    static boolean rightInChildProcess(Workload workload, String isa, PrintWriter err) {
        err.println("repvgg: checking once whether oneDNN computes " + workload.describe()
                + " right channels-last (repvgg doctor --channels-last in a child process; the verdict is cached) ...");
        err.flush();
        List<String> command = IsaChoice.doctorCommand(workload);
        command.add("--channels-last");
        return IsaChoice.runChild(command, isa) == 0;
    }
}
