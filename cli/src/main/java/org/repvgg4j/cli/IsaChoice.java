package org.repvgg4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.repvgg4j.platform.ConvolutionVerdicts;
import org.repvgg4j.platform.ConvolutionVerdicts.Workload;
import org.repvgg4j.platform.OneDnnIsa;

/**
 * Per-run choice of oneDNN's instruction set.
 *
 * <p>The launcher decides once per machine: where oneDNN's default kernels get some convolution
 * wrong (docs/BENCHMARKS.md, "Wrong convolutions"), it limits oneDNN to AVX2 and says so with
 * {@value #AUTO}=1. AVX2 is right but slower, and the default kernels may well be right for the
 * network, input size and batch sizes of one run (RepVGG-A0 at 224x224 is, on the machine where
 * A0 at 48x48 is not). A command that knows its convolutions asks here before its first one.
 *
 * <p>oneDNN fixes its choice at the first convolution of a process, so the check runs in a child
 * process: {@code repvgg doctor} with the default kernels, on exactly this run's convolutions. The
 * verdict is cached ({@link ConvolutionVerdicts}). Where the default kernels are right, this process
 * switches to them; a value the user set ({@value #AUTO} absent) is never changed.
 */
final class IsaChoice {

    /** Set by the launcher when it chose {@code ONEDNN_MAX_CPU_ISA} itself. */
    static final String AUTO = "REPVGG_ONEDNN_ISA_AUTO";

    private static final long CHECK_TIMEOUT_MINUTES = 15;

    private IsaChoice() {
    }

    /**
     * Switches this process to oneDNN's default kernels when the launcher chose another limit for the
     * machine and the default kernels are right for every workload. Call before the first convolution.
     */
    static void applyFor(List<Workload> workloads, PrintWriter err) {
        if (workloads.isEmpty()) {
            return;
        }
        for (Workload workload : workloads) {
            String chosen = decide(workload, OneDnnIsa.current(), System.getenv(AUTO), ConvolutionVerdicts.directory(),
                    w -> rightInChildProcess(w, OneDnnIsa.DEFAULT, err));
            if (chosen == null) {
                return;
            }
        }
        OneDnnIsa.set(OneDnnIsa.DEFAULT);
        err.println("repvgg: oneDNN's default kernels are right for "
                + workloads.stream().map(Workload::describe).collect(Collectors.joining("; "))
                + " on this machine: this run uses them (" + OneDnnIsa.VARIABLE + "=" + OneDnnIsa.DEFAULT + ")");
        err.flush();
    }

    /**
     * The instruction set to switch to, or {@code null} to keep the current one. Only a launcher's
     * choice ({@code auto} is "1") other than the default is reconsidered; {@code defaultIsRight} runs
     * when {@code cacheDir} has no verdict for the workload with the default kernels yet.
     */
    static String decide(Workload workload, String current, String auto, Path cacheDir, Predicate<Workload> defaultIsRight) {
        if (current == null || current.equalsIgnoreCase(OneDnnIsa.DEFAULT) || !"1".equals(auto)
                || workload.batches().isEmpty()) {
            return null;
        }
        boolean right = ConvolutionVerdicts.read(cacheDir, workload, OneDnnIsa.DEFAULT).orElseGet(() -> {
            boolean verdict = defaultIsRight.test(workload);
            ConvolutionVerdicts.write(cacheDir, workload, OneDnnIsa.DEFAULT, verdict);
            return verdict;
        });
        return right ? OneDnnIsa.DEFAULT : null;
    }

    /**
     * Runs {@code repvgg doctor} on the workload's convolutions in a child JVM with
     * {@code ONEDNN_MAX_CPU_ISA=isa}; right when it exits with 0 (a crash, a timeout or any wrong
     * convolution counts as not right).
     */
    static boolean rightInChildProcess(Workload workload, String isa, PrintWriter err) {
        err.println("repvgg: checking once whether oneDNN's " + isa + " kernels are right for " + workload.describe()
                + " (repvgg doctor in a child process; the verdict is cached) ...");
        err.flush();
        List<String> command = doctorCommand(workload);
        if (!workload.gradients()) {
            command.add("--forward-only");
        }
        return runChild(command, isa) == 0;
    }

    /** {@code repvgg doctor} in a child JVM on the workload's network, size, batch sizes and threads, quiet. */
    static List<String> doctorCommand(Workload workload) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-Dai.djl.offline=true"));
        String threads = workload.threads() != null ? workload.threads().toString()
                : System.getProperty("ai.djl.pytorch.num_threads");
        if (threads != null) {
            command.add("-Dai.djl.pytorch.num_threads=" + threads);
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), RepVggCommand.class.getName(), "doctor",
                "--arch", workload.spec().name(), "--image-size", Integer.toString(workload.imageSize()), "--batch-size",
                workload.batches().stream().map(String::valueOf).collect(Collectors.joining(",")), "--quiet"));
        return command;
    }

    /**
     * Runs a child with {@code ONEDNN_MAX_CPU_ISA=isa} ({@code null}: unset), output discarded; its
     * exit code, or -1 when it could not start or ran out of time.
     */
    static int runChild(List<String> command, String isa) {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Map<String, String> env = builder.environment();
        if (isa == null) {
            env.remove(OneDnnIsa.VARIABLE);
        } else {
            env.put(OneDnnIsa.VARIABLE, isa);
        }
        env.remove(AUTO);
        try {
            Process child = builder.start();
            if (!child.waitFor(CHECK_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                child.destroyForcibly();
                return -1;
            }
            return child.exitValue();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
