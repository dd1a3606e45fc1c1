package org.repvgg4j.infer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.repvgg4j.export.OnnxExporter;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.NetworkWeights;
import org.repvgg4j.weights.Preprocessing;

class OrtNativeCopiesTest {

    @Test
    void findsTheExtractionDirectoriesOfMappedLibraries() {
        List<String> maps = List.of(
                "7f1c2a000000-7f1c2a200000 r-xp 00000000 08:01 1234 /tmp/onnxruntime-java123/libonnxruntime.so",
                "7f1c2b000000-7f1c2b100000 r--p 00000000 08:01 1235 /tmp/onnxruntime-java123/libonnxruntime4j_jni.so",
                "7f1c2e000000-7f1c2e100000 r--p 00000000 08:01 1236 /tmp/onnxruntime-java456/libonnxruntime.so (deleted)",
                "7f1c2c000000-7f1c2c100000 r-xp 00000000 08:01 99 /usr/lib/x86_64-linux-gnu/libc.so.6",
                "7f1c2d000000-7f1c2d100000 r-xp 00000000 08:01 77 /tmp/onnxruntime-javaX/libfoo.so",
                "7ffd0000-7ffd1000 rw-p 00000000 00:00 0 [stack]");
        assertThat(OrtNativeCopies.extractionDirectories(maps)).containsExactly(Path.of("/tmp/onnxruntime-java123"),
                Path.of("/tmp/onnxruntime-java456"));
    }

    @Test
    void afterARunnerOpensNoLibraryCopyIsLeftInItsDirectory() throws Exception {
        RepVgg net = new RepVgg(RepVggSpec.parse("depths=1,1,1,1;widths=0.125,0.125,0.125,0.25"), Form.DEPLOY, 2);
        try (NDManager manager = NDManager.newBaseManager()) {
            net.initialize(manager, 16);
            ModelConfig config = new ModelConfig(net.spec(), Form.DEPLOY, ModelConfig.numberedClasses(2),
                    Preprocessing.imagenet(16), Map.of());
            byte[] onnx = OnnxExporter.toBytes(config, NetworkWeights.of(net));
            try (OnnxRuntimeRunner runner = OnnxRuntimeRunner.open(onnx, 1)) {
                Set<Path> dirs = OrtNativeCopies.extractionDirectories(Files.readAllLines(Path.of("/proc/self/maps")));

                assertThat(dirs).as("ONNX Runtime's libraries come from an extracted copy").isNotEmpty();
                for (Path dir : dirs) {
                    try (var files = Files.list(dir)) {
                        assertThat(files.map(Path::toString).toList()).as(dir.toString())
                                .noneMatch(f -> f.endsWith(".so"));
                    }
                }
                assertThat(runner.run(new float[3 * 16 * 16], 1)[0]).hasSize(2);
            }
        }
    }
}
