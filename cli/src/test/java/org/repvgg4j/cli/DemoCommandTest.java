package org.repvgg4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.repvgg4j.cli.CommandsTest.repvgg;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repvgg4j.cli.CommandsTest.Run;

/** The main job end to end, on a small image set and a tiny network (the real one: `./repvgg demo`). */
class DemoCommandTest {

    private static final String TINY = "depths=1,1,1,1;widths=0.25,0.25,0.25,0.25";

    @Test
    void splitsTrainsConvertsEvaluatesAndTimesInOneCommand(@TempDir Path tmp) throws Exception {
        Path images = StripeImages.write(tmp.resolve("stripes"), 40, 3);
        Path out = tmp.resolve("demo");

        Run run = repvgg("demo", "--data", images.toString(), "--out", out.toString(), "--arch", TINY, "--epochs", "3",
                "--image-size", "16", "--bench-size", "32");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("== 1/5 split", "== 2/5 train", "== 3/5 convert", "== 4/5 evaluate", "== 5/5 time")
                .containsPattern("data +.*2 classes, 64 train / 16 val")
                .containsPattern("deploy = train check +relative diff \\S+ \\(limit 1e-4\\) pass")
                .containsPattern("libtorch convolution kernels +ONEDNN_MAX_CPU_ISA=AVX2")
                .containsPattern("deploy on onnxruntime vs train, batch 32 +\\d+\\.\\d\\dx");
        // At 32x32 ONNX Runtime is the default engine, so oneDNN is not timed.
        assertThat(run.out()).doesNotContain("deploy on onednn");
        assertThat(Files.readAllLines(out.resolve("run/metrics.csv"))).hasSize(1 + 3);
        assertThat(out.resolve("run/deploy/model.safetensors")).isRegularFile();
        assertThat(out.resolve("run/curves.png")).isRegularFile();
        assertThat(run.out()).contains("Grad-CAM (stage2) of the first validation image of each class", "(2 pictures)");
        try (Stream<Path> pictures = Files.list(out.resolve("cam"))) {
            assertThat(pictures.map(p -> p.getFileName().toString()).sorted().toList()).hasSize(2)
                    .anySatisfy(n -> assertThat(n).startsWith("horizontal").endsWith(".png"))
                    .anySatisfy(n -> assertThat(n).startsWith("vertical").endsWith(".png"));
        }
    }
}
