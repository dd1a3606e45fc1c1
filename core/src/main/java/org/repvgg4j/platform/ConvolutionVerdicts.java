package org.repvgg4j.platform;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.repvgg4j.model.RepVggSpec;

/**
 * {@link ConvolutionCheck} verdicts kept between runs, one small file per workload and instruction
 * set in {@code ~/.cache/repvgg4j/} ({@code $XDG_CACHE_HOME/repvgg4j/}), beside the launcher's
 * once-per-machine verdict. oneDNN picks its kernels from the CPU, its own version, the shapes, the
 * batch size, the thread count and the instruction-set limit, so a verdict for the same of all of
 * these holds; the key covers them, and how training calls the convolutions
 * ({@link ConvolutionCheck#METHOD}).
 */
public final class ConvolutionVerdicts {

    /**
     * The convolutions of a run: a network at one input size, at these batch sizes, with gradients
     * (training) or without (inference), on {@code threads} threads ({@code null}: the engine's
     * default).
     */
    public record Workload(RepVggSpec spec, int imageSize, SortedSet<Integer> batches, boolean gradients, Integer threads) {

        public Workload {
            batches = new TreeSet<>(batches);
            batches.removeIf(b -> b < 1);
            batches = java.util.Collections.unmodifiableSortedSet(batches);
        }

        /** Training: every full batch, and evaluation's last, partial one ({@code images % batch}; none if 0). */
        public static Workload training(RepVggSpec spec, int imageSize, int batchSize, int validationImages) {
            return new Workload(spec, imageSize, new TreeSet<>(List.of(batchSize, validationImages % batchSize)), true, null);
        }

        public List<ConvolutionCheck.Problem> problems() {
            Set<ConvolutionCheck.Problem> problems = new LinkedHashSet<>();
            for (int batch : batches) {
                problems.addAll(ConvolutionCheck.problemsOf(spec, imageSize, batch));
            }
            return new ArrayList<>(problems);
        }

        public String describe() {
            return spec.name() + " at " + imageSize + "x" + imageSize + ", batch "
                    + batches.stream().map(String::valueOf).collect(Collectors.joining(", "))
                    + (gradients ? ", training" : ", inference");
        }

        /** The thread count as the engine will see it, from what decides it. */
        String threadSetting() {
            if (threads != null) {
                return threads.toString();
            }
            return System.getProperty("ai.djl.pytorch.num_threads", "default") + "/" + System.getenv("OMP_NUM_THREADS")
                    + "/" + Runtime.getRuntime().availableProcessors();
        }
    }

    private ConvolutionVerdicts() {
    }

    public static Path directory() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("repvgg4j");
    }

    /** True for right, false for wrong, empty when this workload has not been checked with {@code isa}. */
    public static Optional<Boolean> read(Path directory, Workload workload, String isa) {
        try {
            String text = Files.readString(file(directory, workload, isa)).trim();
            return text.equals("right") ? Optional.of(true) : text.equals("wrong") ? Optional.of(false) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Best effort, atomically: an unwritable cache only means checking again next time. */
    public static void write(Path directory, Workload workload, String isa, boolean right) {
        Path file = file(directory, workload, isa);
        try {
            Files.createDirectories(directory);
            Path tmp = Files.createTempFile(directory, file.getFileName().toString(), ".tmp");
            Files.writeString(tmp, right ? "right\n" : "wrong\n");
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // checked again on the next run
        }
    }

    private static Path file(Path directory, Workload w, String isa) {
        String text = String.join("\n", cpuIdentity(), libtorchVersion(), ConvolutionCheck.METHOD, String.valueOf(isa), w.spec().name(),
                Integer.toString(w.imageSize()), w.batches().toString(), Boolean.toString(w.gradients()), w.threadSetting());
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return directory.resolve("convolutions-" + HexFormat.of().formatHex(digest, 0, 8));
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

    /** The libtorch build on the class path, as DJL's native jar names it, without loading it. */
    private static String libtorchVersion() {
        try (InputStream in = ConvolutionVerdicts.class.getClassLoader().getResourceAsStream("native/lib/pytorch.properties")) {
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
}
