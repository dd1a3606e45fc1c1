package org.repvgg4j.cli;

import java.io.PrintWriter;
import java.util.List;
import org.repvgg4j.platform.ConvolutionVerdicts.Workload;
import org.repvgg4j.platform.TrainingConvolutions;

/**
 * How this run computes its training convolutions, decided once before the engine's first
 * convolution: oneDNN's instruction set ({@link IsaChoice}), then, for that instruction set, which
 * stride-2 layers may train strided ({@link StridedChoice}) and which runs channels-last
 * ({@link LayoutChoice}). Each check runs once per machine in a child process and is cached.
 */
final class ConvolutionChoice {

    private ConvolutionChoice() {
    }

    static TrainingConvolutions applyFor(List<Workload> workloads, PrintWriter err) {
        IsaChoice.applyFor(workloads, err);
        return new TrainingConvolutions(StridedChoice.rightFor(workloads, err), LayoutChoice.rightFor(workloads, err));
    }
}
