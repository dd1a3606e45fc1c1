package org.repvgg4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.repvgg4j.bench.Measurement;
import org.repvgg4j.bench.TrainStepBench;
import org.repvgg4j.model.ConvolutionStrategy;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.platform.ConvolutionVerdicts;
import org.repvgg4j.platform.TrainingConvolutions;

/**
 * Times training steps (forward, loss, backward, SGD update) of RepVGG's train form at each batch
 * size, and chooses before libtorch loads how its convolutions run for this run's networks.
 */
final class TrainStepTimings {

    private final BenchRun run;
    private final int classes;
    private final String freezeThrough;
    private final InputStream lockstepInput;
    private final Path trace;
    private final ConvolutionStrategy convolutions;
    private final Integer onednnThreads;

    /**
     * {@code lockstepInput}: each step (warm-up included) waits for a line from it; null: steps run
     * freely. {@code trace}: where libtorch's operator profile of the timed steps goes (null: none;
     * with several networks or batch sizes, the last one's). {@code convolutions}: as
     * {@link #chooseConvolutions} chose. {@code onednnThreads}: not null, the steps are the oneDNN graph's on
     * that many threads; null, libtorch's.
     */
    TrainStepTimings(BenchRun run, int classes, String freezeThrough, InputStream lockstepInput, Path trace,
            ConvolutionStrategy convolutions, Integer onednnThreads) {
        this.onednnThreads = onednnThreads;
        this.run = run;
        this.classes = classes;
        this.freezeThrough = freezeThrough;
        this.lockstepInput = lockstepInput;
        this.trace = trace;
        this.convolutions = convolutions;
    }

    /**
     * Chooses, before the engine loads, how libtorch runs the convolutions of {@code archs} at this
     * run's input size and batch sizes (instruction set, stride-2 layers, memory layout): this run's
     * convolutions may be right with oneDNN's faster default kernels. For training steps and for
     * forward passes on libtorch alike.
     */
    static TrainingConvolutions chooseConvolutions(List<RepVggSpec> archs, BenchRun run, boolean trainStep,
            Integer threads, PrintWriter err) {
        List<ConvolutionVerdicts.Workload> workloads = archs.stream().map(arch -> new ConvolutionVerdicts.Workload(
                arch, run.imageSize(), new TreeSet<>(run.batches()), trainStep, threads)).toList();
        return ConvolutionChoice.applyFor(workloads, err);
    }

    void time(List<RepVggSpec> archs, Consumer<Measurement> results) throws IOException {
        for (RepVggSpec arch : archs) {
            for (int batch : run.batches()) {
                run.progress("timing RepVGG-%s training steps, batch %d ...%n", arch.name(), batch);
                TrainStepBench.Pacer pacer = lockstepInput != null ? new LineLockstep(lockstepInput, run.out())
                        : TrainStepBench.Pacer.NONE;
                if (trace != null) {
                    pacer = pacer.profiling(run.warmup(), run.iterations(), trace);
                }
                if (onednnThreads != null) {
                    results.accept(TrainStepBench.runOnOneDnn(arch, classes, batch, run.imageSize(), run.warmup(),
                            run.iterations(), onednnThreads, pacer, p -> run.progress("RepVGG-%s batch %d, median per "
                                    + "step on the oneDNN graph: forward, loss and backward %.1f ms, update %.1f ms%n",
                                    arch.name(), batch, p.forwardMs(), p.updateMs())));
                    continue;
                }
                results.accept(TrainStepBench.run(arch, classes, batch, run.imageSize(),
                        RepVgg.lastFrozenStage(freezeThrough), run.warmup(), run.iterations(), pacer,
                        convolutions, p -> run.progress("RepVGG-%s batch %d, median per step: forward and loss %.1f ms,"
                                + " backward %.1f ms, update %.1f ms%n", arch.name(), batch, p.forwardMs(), p.backwardMs(),
                                p.updateMs())));
            }
        }
    }
}
