package org.repvgg4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;
import org.repvgg4j.model.ChannelsLastTraining;
import org.repvgg4j.platform.ConvolutionCheck;
import org.repvgg4j.platform.ConvolutionVerdicts;
import org.repvgg4j.platform.ConvolutionVerdicts.Workload;
import org.repvgg4j.platform.OneDnnIsa;

/**
 * Per-run choice of the activations' memory layout in training: channels-last after the stem where
 * oneDNN computes every one of the run's convolutions after the stem right in that layout, NCHW
 * elsewhere, and for inputs under {@value ChannelsLastTraining#MIN_IMAGE_SIZE} pixels a side, where it
 * is not faster ({@link ChannelsLastTraining}).
 *
 * <p>The check is {@code repvgg doctor --channels-last} in a child process with the instruction set
 * this run uses: on the Zen 5 machine some channels-last convolutions were wrong and one corrupted
 * the heap. A crash or a timeout counts as wrong. The verdict is cached per workload
 * ({@link ConvolutionVerdicts}, method {@value ConvolutionCheck#CHANNELS_LAST_METHOD}).
 */
final class LayoutChoice {

    private LayoutChoice() {
    }

    /**
     * Lets the training workloads whose convolutions are right channels-last train that way in this
     * process. Call after {@link IsaChoice#applyFor}: the answer is for the instruction set in effect.
     */
    static void applyFor(List<Workload> workloads, PrintWriter err) {
        if (ChannelsLastTraining.switchedOff()) {
            return;
        }
        String isa = OneDnnIsa.current();
        for (Workload workload : workloads) {
            if (!workload.gradients() || workload.batches().isEmpty()
                    || workload.imageSize() < ChannelsLastTraining.MIN_IMAGE_SIZE) {
                continue;
            }
            boolean right = decide(workload, isa, ConvolutionVerdicts.directory(),
                    w -> rightInChildProcess(w, isa, err));
            if (right) {
                ChannelsLastTraining.allow(runs(workload));
            }
            err.printf("repvgg: training %s: activations %s after the stem (channels-last convolutions checked with %s=%s)%n",
                    workload.describe(), right ? "channels-last" : "NCHW (some convolution is not right channels-last)",
                    OneDnnIsa.VARIABLE, isa == null ? "(unset)" : isa);
            err.flush();
        }
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
    static List<ChannelsLastTraining.Run> runs(Workload workload) {
        return workload.batches().stream()
                .map(batch -> new ChannelsLastTraining.Run(workload.spec().name(), workload.imageSize(), batch))
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
