package org.repvgg4j.infer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Removes the copies of its native libraries that ONNX Runtime's Java API extracts to a fresh
 * {@code onnxruntime-java<digits>} directory under the temporary folder in every process.
 *
 * <p>It marks the libraries and the directory for deletion at exit, but the directory first, so the
 * directory is still full when its turn comes and every process leaves an empty one behind (ONNX
 * Runtime 1.22). On Linux a loaded library can be unlinked at once; with the copies gone, the
 * directory is empty at exit and goes too. The directory itself stays until then, as ONNX Runtime
 * extracts further providers into it on demand.
 */
final class OrtNativeCopies {

    private static final String DELETED = " (deleted)";

    private OrtNativeCopies() {}

    /**
     * After ONNX Runtime has loaded: deletes the loaded copies (none after the first call, which
     * costs reading /proc/self/maps); never fails.
     */
    static void removeLoaded() {
        try {
            for (Path dir : extractionDirectories(Files.readAllLines(Path.of("/proc/self/maps")))) {
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".so")).toList()) {
                        Files.deleteIfExists(file);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux, or the files are gone already: ONNX Runtime's own clean-up at exit remains.
        }
    }

    /** The {@code onnxruntime-java*} directories of libraries mapped into this process, deleted since or not. */
    static Set<Path> extractionDirectories(List<String> procSelfMaps) {
        Set<Path> dirs = new LinkedHashSet<>();
        for (String line : procSelfMaps) {
            int slash = line.indexOf('/');
            if (slash < 0) {
                continue;
            }
            String name = line.substring(slash).strip();
            // A mapped file that has been unlinked shows as "<path> (deleted)".
            Path file = Path.of(name.endsWith(DELETED) ? name.substring(0, name.length() - DELETED.length()) : name);
            Path dir = file.getParent();
            if (dir != null && dir.getFileName().toString().matches("onnxruntime-java\\d+")
                    && file.getFileName().toString().endsWith(".so")) {
                dirs.add(dir);
            }
        }
        return dirs;
    }
}
