package org.repvgg4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.repvgg4j.model.RepVggSpec;
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
 * verdict is cached per machine, libtorch version, network, sizes and threads, beside the
 * launcher's. Where the default kernels are right, this process switches to them; a value the user
 * set ({@value #AUTO} absent) is never changed.
 */
final class IsaChoice {

    /** Set by the launcher when it chose {@code ONEDNN_MAX_CPU_ISA} itself. */
    static final String AUTO = "REPVGG_ONEDNN_ISA_AUTO";

    private static final long CHECK_TIMEOUT_MINUTES = 15;

    /**
     * The convolutions of a run: a network at one input size, at these batch sizes, with or without
     * gradients, on {@code threads} threads ({@code null}: the engine's default).
     */
    record Workload(RepVggSpec spec, int imageSize, SortedSet<Integer> batches, boolean gradients, Integer threads) {

        Workload {
            batches = new TreeSet<>(batches);
            batches.removeIf(b -> b < 1);
            if (threads == null && System.getProperty("ai.djl.pytorch.num_threads") != null) {
                threads = Integer.getInteger("ai.djl.pytorch.num_threads");
            }
        }

        List<String> doctorArguments() {
            List<String> args = new ArrayList<>(List.of("doctor", "--arch", spec.name(), "--image-size",
                    Integer.toString(imageSize), "--batch",
                    batches.stream().map(String::valueOf).collect(Collectors.joining(",")), "--quiet"));
            if (!gradients) {
                args.add("--forward-only");
            }
            return args;
        }

        String describe() {
            return spec.name() + " at " + imageSize + "x" + imageSize + ", batch "
                    + batches.stream().map(String::valueOf).collect(Collectors.joining(", "))
                    + (gradients ? ", training" : ", inference");
        }
    }

    private IsaChoice() {
    }

    /**
     * Switches this process to oneDNN's default kernels when the launcher chose AVX2 for the machine
     * and the default kernels are right for this workload. Call before the engine's first convolution.
     */
    static void applyFor(List<Workload> workloads, PrintWriter err) {
        String chosen = null;
        for (Workload workload : workloads) {
            chosen = decide(workload, OneDnnIsa.current(), System.getenv(AUTO), cacheDirectory(),
                    w -> rightInChildProcess(w, OneDnnIsa.DEFAULT, err));
            if (chosen == null) {
                return;
            }
        }
        if (chosen != null) {
            OneDnnIsa.set(chosen);
            err.println("repvgg: oneDNN's default kernels are right for "
                    + workloads.stream().map(Workload::describe).collect(Collectors.joining("; "))
                    + " on this machine: this run uses them (" + OneDnnIsa.VARIABLE + "=" + chosen + ")");
            err.flush();
        }
    }

    /**
     * The instruction set to switch to, or {@code null} to keep the current one. Only a launcher's
     * choice ({@code auto} is "1") other than the default is reconsidered; {@code defaultIsRight} runs
     * when the cache in {@code cacheDir} has no verdict for the workload yet.
     */
    static String decide(Workload workload, String current, String auto, Path cacheDir, Predicate<Workload> defaultIsRight) {
        if (current == null || current.equalsIgnoreCase(OneDnnIsa.DEFAULT) || !"1".equals(auto)
                || workload.batches().isEmpty()) {
            return null;
        }
        Path verdict = cacheDir.resolve("onednn-run-" + key(workload));
        Boolean right = readVerdict(verdict);
        if (right == null) {
            right = defaultIsRight.test(workload);
            writeVerdict(verdict, right);
        }
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
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx1g");
        command.add("-Dai.djl.offline=true");
        if (workload.threads() != null) {
            command.add("-Dai.djl.pytorch.num_threads=" + workload.threads());
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(RepVggCommand.class.getName());
        command.addAll(workload.doctorArguments());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Map<String, String> env = builder.environment();
        env.put(OneDnnIsa.VARIABLE, isa);
        env.remove(AUTO);
        try {
            Process child = builder.start();
            if (!child.waitFor(CHECK_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                child.destroyForcibly();
                return false;
            }
            return child.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Everything the kernels oneDNN picks depend on: CPU, libtorch, shapes, batch sizes, threads. */
    static String key(Workload w) {
        String text = String.join("\n", cpuIdentity(), libtorchVersion(), w.spec().name(), Integer.toString(w.imageSize()),
                w.batches().toString(), Boolean.toString(w.gradients()), String.valueOf(w.threads()),
                Integer.toString(Runtime.getRuntime().availableProcessors()), String.valueOf(System.getenv("OMP_NUM_THREADS")));
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String cpuIdentity() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(line -> line.startsWith("model name") || line.startsWith("flags"))
                    .limit(2).collect(Collectors.joining("\n"));
        } catch (IOException e) {
            return System.getProperty("os.arch");
        }
    }

    /** The libtorch build on the class path (DJL's native jar names it), without loading it. */
    private static String libtorchVersion() {
        try (InputStream in = IsaChoice.class.getClassLoader().getResourceAsStream("native/lib/pytorch.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    static Path cacheDirectory() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("repvgg4j");
    }

    private static Boolean readVerdict(Path file) {
        try {
            String text = Files.readString(file).trim();
            return text.equals("right") ? Boolean.TRUE : text.equals("wrong") ? Boolean.FALSE : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Best effort: an unwritable cache only means checking again next time. */
    private static void writeVerdict(Path file, boolean right) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
            Files.writeString(tmp, right ? "right\n" : "wrong\n");
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // checked again on the next run
        }
    }
}
