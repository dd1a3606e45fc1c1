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

    /** The method part of the key for {@link #readStrided}'s lists, and their first line. */
    private static final String STRIDED = "strided";

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
        return read(directory, workload, isa, ConvolutionCheck.METHOD);
    }

    /** As {@link #read(Path, Workload, String)}, for a verdict on another way of computing them, e.g. {@link ConvolutionCheck#CHANNELS_LAST_METHOD}. */
    public static Optional<Boolean> read(Path directory, Workload workload, String isa, String method) {
        try {
            String text = Files.readString(file(directory, workload, isa, method)).trim();
            return text.equals("right") ? Optional.of(true) : text.equals("wrong") ? Optional.of(false) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Best effort, atomically: an unwritable cache only means checking again next time. */
    public static void write(Path directory, Workload workload, String isa, boolean right) {
        write(directory, workload, isa, ConvolutionCheck.METHOD, right);
    }

    /** As {@link #write(Path, Workload, String, boolean)}, for the verdict {@link #read(Path, Workload, String, String)} reads. */
    public static void write(Path directory, Workload workload, String isa, String method, boolean right) {
        writeAtomically(directory, file(directory, workload, isa, method), right ? "right\n" : "wrong\n");
    }

    private static void writeAtomically(Path directory, Path file, String text) {
        try {
            Files.createDirectories(directory);
            Path tmp = Files.createTempFile(directory, file.getFileName().toString(), ".tmp");
            Files.writeString(tmp, text);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // checked again on the next run
        }
    }

    /**
     * The stride-2 convolutions of the workload found right strided with {@code isa}
     * ({@link ConvolutionCheck#checkStrided}), empty when not checked yet.
     */
    public static Optional<List<ConvolutionCheck.Problem>> readStrided(Path directory, Workload workload, String isa) {
        try {
            List<String> lines = Files.readAllLines(file(directory, workload, isa, STRIDED));
            if (lines.isEmpty() || !lines.get(0).equals(STRIDED)) {
                return Optional.empty();
            }
            List<ConvolutionCheck.Problem> right = new ArrayList<>();
            for (String line : lines.subList(1, lines.size())) {
                right.add(problem(line));
            }
            return Optional.of(right);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Best effort, atomically, as {@link #write}. */
    public static void writeStrided(Path directory, Workload workload, String isa, List<ConvolutionCheck.Problem> right) {
        StringBuilder text = new StringBuilder(STRIDED).append('\n');
        right.forEach(p -> text.append(line(p)).append('\n'));
        writeAtomically(directory, file(directory, workload, isa, STRIDED), text.toString());
    }

    /** A problem as one line of numbers: batch, input and output channels, kernel, stride, size, groups. */
    public static String line(ConvolutionCheck.Problem p) {
        return p.batch() + " " + p.inChannels() + " " + p.outChannels() + " " + p.kernel() + " " + p.stride() + " "
                + p.size() + " " + p.groups();
    }

    /** {@link #line}'s inverse; an {@link IllegalArgumentException} for anything else. */
    public static ConvolutionCheck.Problem problem(String line) {
        String[] fields = line.trim().split(" ");
        if (fields.length != 7) {
            throw new IllegalArgumentException("not a convolution line (7 numbers): '" + line + "'");
        }
        int[] v = new int[7];
        for (int i = 0; i < 7; i++) {
            v[i] = Integer.parseInt(fields[i]);
        }
        return new ConvolutionCheck.Problem(v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
    }

    private static Path file(Path directory, Workload w, String isa, String method) {
        String text = String.join("\n", cpuIdentity(), libtorchVersion(), method, String.valueOf(isa), w.spec().name(),
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
