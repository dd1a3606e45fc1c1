package org.repvgg4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.repvgg4j.cli.CommandsTest.repvgg;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repvgg4j.cli.CommandsTest.Run;

/** {@code repvgg bench} with the baselines, the ceilings, the chart and the data-set pass. */
class BenchBaselinesTest {

    private static final String TINY = "depths=1,2,1,1;widths=0.25,0.25,0.25,0.25;groups=2;se=true";

    @TempDir
    Path tmp;

    @Test
    void baselinesAreTimedBesideRepVggWithTheirOwnCosts() {
        Run run = repvgg("bench", "--arch", TINY, "--arch", "squeezenet1_1", "--arch", "resnet18", "--form", "deploy",
                "--engine", "pytorch", "--batch", "1", "--image-size", "64", "--warmup", "1", "--iterations", "1", "--threads", "1",
                "--gemm-size", "128", "--json");

        assertThat(run.exit()).as(run.err()).isZero();
        List<JsonObject> rows = run.out().lines().map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
        assertThat(rows).extracting(o -> o.get("model").getAsString())
                .containsExactly("RepVGG-" + TINY, "SqueezeNet-1.1", "ResNet-18");
        JsonObject squeezeNet = rows.get(1);
        assertThat(squeezeNet.get("form").getAsString()).isEqualTo("baseline");
        assertThat(squeezeNet.get("params").getAsLong()).isEqualTo(1_235_496L);
        assertThat(squeezeNet.get("macs_per_image").getAsLong()).isEqualTo(21_584_576L);
        assertThat(rows.get(2).get("params").getAsLong()).isEqualTo(11_689_512L);
        for (JsonObject o : rows) {
            assertThat(o.keySet()).contains("model", "form", "engine", "batch", "threads", "median_ms", "images_per_s",
                    "gflops", "cpu_ms_per_run", "matmul_gflops", "fraction_of_matmul", "peak_gflops", "clock_source");
            assertThat(o.get("matmul_size").getAsInt()).isEqualTo(128);
            assertThat(o.get("fraction_of_matmul").getAsDouble())
                    .isEqualTo(o.get("gflops").getAsDouble() / o.get("matmul_gflops").getAsDouble());
        }
    }

    @Test
    void tableShowsBothCeilingsAndTheComparisonWithTheBaseline() {
        Run run = repvgg("bench", "--arch", TINY, "--arch", "SqueezeNet-1.1", "--form", "deploy", "--batch", "2",
                "--image-size", "32", "--warmup", "1", "--iterations", "1", "--gemm-size", "64", "--clock-ghz", "2.5");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out())
                .containsPattern("ceilings: fp32 matmul 64x64 on pytorch, \\d+ threads: [\\d.]+ GFLOP/s")
                .containsPattern("peak \\d+ cores x (32|64) FLOP/cycle x 2\\.500 GHz \\(--clock-ghz\\)")
                .contains("%matmul", "%peak")
                .containsPattern("SqueezeNet-1.1 +baseline +pytorch +2 ")
                .containsPattern("batch 2 on pytorch: RepVGG-\\S+ deploy is \\d+\\.\\d\\dx the speed of SqueezeNet-1.1");
    }

    @Test
    void chartIsAPngAndThePassCoversEveryImage() throws Exception {
        Path png = tmp.resolve("charts/bench.png");
        Run run = repvgg("bench", "--arch", "squeezenet1_1", "--batch", "1,4", "--image-size", "32", "--warmup", "0",
                "--iterations", "1", "--gemm-size", "0", "--images", "10", "--chart", png.toString(), "--json");

        assertThat(run.exit()).as(run.err()).isZero();
        List<JsonObject> rows = run.out().lines().map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
        assertThat(rows).hasSize(3);
        JsonObject pass = rows.get(2);
        assertThat(pass.get("images").getAsInt()).isEqualTo(10);
        assertThat(pass.get("batch").getAsInt()).isEqualTo(4);
        assertThat(pass.get("total_s").getAsDouble()).isPositive();
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image.getWidth()).isGreaterThanOrEqualTo(640);
        assertThat(image.getHeight()).isEqualTo(480);
    }

    @Test
    void baselinesHaveNoTrainStepOrOnnxRuntimeRun() {
        Run trainStep = repvgg("bench", "--arch", "resnet18", "--train-step", "--gemm-size", "0");
        assertThat(trainStep.exit()).isEqualTo(2);
        assertThat(trainStep.err()).contains("--train-step times RepVGG's train form only, not resnet18");

        Run ort = repvgg("bench", "--arch", "resnet18", "--engine", "onnxruntime");
        assertThat(ort.exit()).isEqualTo(2);
        assertThat(ort.err()).contains("--engine onnxruntime times the deploy form only (of RepVGG, not the baselines)");

        Run unknown = repvgg("bench", "--arch", "mobilenet");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("--arch:", "squeezenet1_1, resnet18");
    }

    @Test
    void profileTimesEveryBlockAndTheHead() {
        Run run = repvgg("bench", "--arch", TINY, "--form", "deploy", "--batch", "2", "--image-size", "32",
                "--warmup", "0", "--iterations", "1", "--gemm-size", "0", "--profile", "--json");

        assertThat(run.exit()).as(run.err()).isZero();
        List<JsonObject> layers = run.out().lines().map(l -> JsonParser.parseString(l).getAsJsonObject())
                .filter(o -> o.has("layer")).toList();
        // depths 1,2,1,1 plus stage 0: six blocks, then the head.
        assertThat(layers).extracting(o -> o.get("layer").getAsString())
                .containsExactly("stage0", "stage1.0", "stage2.0", "stage2.1", "stage3.0", "stage4.0", "pool+linear");
        assertThat(layers.get(0).get("output_size").getAsInt()).isEqualTo(16);
        assertThat(layers.stream().mapToDouble(o -> o.get("share").getAsDouble()).sum()).isCloseTo(1.0,
                org.assertj.core.api.Assertions.within(1e-9));
    }
}
