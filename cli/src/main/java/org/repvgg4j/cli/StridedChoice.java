package org.repvgg4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.repvgg4j.platform.ConvolutionCheck;
import org.repvgg4j.platform.ConvolutionCheck.Problem;
import org.repvgg4j.platform.ConvolutionVerdicts;
import org.repvgg4j.platform.ConvolutionVerdicts.Workload;
import org.repvgg4j.platform.OneDnnIsa;
import org.repvgg4j.platform.TrainingConvolutions;
import org.repvgg4j.platform.TrainingConvolutions.StridedConvolution;

/**
 * Per-run choice of how training computes its stride-2 layers: strided where oneDNN gets them right
 * at this run's shapes, from their input's phases elsewhere ({@link TrainingConvolutions}).
 *
 * <p>oneDNN's strided input gradient is wrong for some shapes on some machines, and for a few it
 * kills the process, so the check runs in a child process ({@code repvgg doctor --strided}) with the
 * instruction set this run uses. The child writes each right convolution to a file as soon as it is
 * checked: after a crash, those before it still count and the rest train from phases. The answer is
 * cached ({@link ConvolutionVerdicts#readStrided}).
 */
final class StridedChoice {

    private StridedChoice() {
    }

    /**
     * The stride-2 convolutions of these training workloads that are right strided. Call after
     * {@link IsaChoice#applyFor}: the answer is for the instruction set in effect.
     */
    static List<StridedConvolution> rightFor(List<Workload> workloads, PrintWriter err) {
        String isa = OneDnnIsa.current();
        List<StridedConvolution> allowed = new ArrayList<>();
        int right = 0;
        int total = 0;
        for (Workload workload : workloads) {
            if (!workload.gradients()) {
                continue;
            }
            List<Problem> strided = decide(workload, isa, ConvolutionVerdicts.directory(),
                    w -> rightInChildProcess(w, isa, err));
            allowed.addAll(strided.stream().map(ConvolutionCheck::strided).toList());
            // A layer trains strided when both its branches, 3x3 then 1x1 in the list, are right.
            List<Problem> branches = problems(workload);
            for (int i = 0; i + 1 < branches.size(); i += 2) {
                total++;
                if (strided.contains(branches.get(i)) && strided.contains(branches.get(i + 1))) {
                    right++;
                }
            }
        }
        if (total > 0) {
            err.printf("repvgg: %d of %d stride-2 layers (counted per batch size) train strided, the rest from their "
                    + "input's phases (oneDNN's strided gradients checked with %s=%s)%n", right, total,
                    OneDnnIsa.VARIABLE, isa == null ? "(unset)" : isa);
            err.flush();
        }
        return allowed;
    }

    /**
     * The workload's stride-2 convolutions that are right strided: from {@code cacheDir}, or from
     * {@code check}, whose answer is cached. Only convolutions of the workload count, whatever
     * {@code check} returns.
     */
    static List<Problem> decide(Workload workload, String isa, Path cacheDir, Function<Workload, List<Problem>> check) {
        List<Problem> right = ConvolutionVerdicts.readStrided(cacheDir, workload, isa).orElseGet(() -> {
            List<Problem> checked = check.apply(workload);
            ConvolutionVerdicts.writeStrided(cacheDir, workload, isa, checked);
            return checked;
        });
        List<Problem> ours = problems(workload);
        return right.stream().filter(ours::contains).distinct().toList();
    }

    /** The workload's stride-2 convolutions after the stem, at each of its batch sizes. */
    static List<Problem> problems(Workload workload) {
        List<Problem> problems = new ArrayList<>();
        for (int batch : workload.batches()) {
            problems.addAll(ConvolutionCheck.stridedProblemsOf(workload.spec(), workload.imageSize(), batch));
        }
        return problems;
    }

    /**
     * Runs {@code repvgg doctor --strided} on the workload in a child JVM with {@code ONEDNN_MAX_CPU_ISA=isa}
     * and returns the convolutions it found right before it ended, crashed or ran out of time.
     */
    static List<Problem> rightInChildProcess(Workload workload, String isa, PrintWriter err) {
        err.println("repvgg: checking once which stride-2 layers oneDNN computes right strided for "
                + workload.describe() + " (repvgg doctor --strided in a child process; the answer is cached) ...");
        err.flush();
        Path list = null;
        try {
            list = Files.createTempFile("repvgg-strided", ".txt");
            List<String> command = IsaChoice.doctorCommand(workload);
            command.addAll(List.of("--strided", "--strided-list", list.toString()));
            IsaChoice.runChild(command, isa);
            String[] lines = Files.readString(list).split("\n", -1);
            List<Problem> right = new ArrayList<>();
            // Complete lines only: the last piece is empty, or a line torn by a crash mid-write.
            for (int i = 0; i < lines.length - 1; i++) {
                right.add(ConvolutionVerdicts.problem(lines[i]));
            }
            return right;
        } catch (IOException | IllegalArgumentException e) {
            // No temporary directory, or not what doctor writes: train from phases.
            return List.of();
        } finally {
            if (list != null) {
                try {
                    Files.deleteIfExists(list);
                } catch (IOException e) {
                    // a temporary file left behind
                }
            }
        }
    }
}
