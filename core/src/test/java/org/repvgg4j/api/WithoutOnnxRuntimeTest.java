package org.repvgg4j.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An application that brings libtorch but not ONNX Runtime (core does not force it on anyone). */
class WithoutOnnxRuntimeTest {

    @TempDir
    Path tmp;

    /** Run in a JVM whose class path lacks the onnxruntime jar. */
    public static void main(String[] args) throws Exception {
        try (RepVggModel model = RepVggModel.load(Path.of(args[0]))) {
            System.out.println("default engine: " + model.engine());
        }
        try {
            RepVggModel.load(Path.of(args[0]), LoadOptions.defaults().withEngine("onnxruntime")).close();
        } catch (IllegalStateException e) {
            System.out.println("asked for onnxruntime: " + e.getMessage());
        }
    }

    @Test
    void aModelDirectoryRunsOnPytorchAndAskingForOnnxRuntimeNamesItsArtifact() throws Exception {
        Path dir = TinyModels.trainForm(tmp.resolve("m"), 31);
        String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !Path.of(entry).getFileName().toString().startsWith("onnxruntime"))
                .collect(Collectors.joining(File.pathSeparator));
        Process process = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-cp", classPath, WithoutOnnxRuntimeTest.class.getName(), dir.toString()))
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains("default engine: pytorch")
                .contains("asked for onnxruntime: ").contains("add com.microsoft.onnxruntime:onnxruntime");
    }
}
