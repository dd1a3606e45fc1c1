package org.repvgg4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.repvgg4j.cli.CommandsTest.repvgg;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repvgg4j.cli.CommandsTest.Run;

class BenchEngineTest {

    private static final String TINY = "depths=1,2,1,1;widths=0.25,0.25,0.25,0.25;groups=2;se=true";

    @Test
    void bothEnginesTimeTheDeployFormAndOnlyPyTorchTheTrainForm() {
        Run run = repvgg("bench", "--arch", TINY, "--engine", "both", "--batch", "1,2", "--image-size", "32",
                "--warmup", "1", "--iterations", "2", "--threads", "1", "--gemm-size", "128", "--json");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out().lines()).hasSize(6);
        assertThat(run.out().lines().filter(l -> l.contains("\"engine\":\"onnxruntime\"")))
                .hasSize(2)
                .allSatisfy(l -> assertThat(l).contains("\"form\":\"deploy\"", "\"threads\":1"));
        assertThat(run.out().lines().filter(l -> l.contains("\"form\":\"train\"")))
                .hasSize(2)
                .allSatisfy(l -> assertThat(l).contains("\"engine\":\"pytorch\"", "\"onednn_isa\":\"AVX2\"")
                        .containsPattern("\"run_ms\":\\[[0-9.]+,[0-9.]+\\]"));
    }

    @Test
    void tableComparesTheEngines() {
        Run run = repvgg("bench", "--arch", TINY, "--engine", "both", "--form", "deploy", "--batch", "1",
                "--image-size", "32", "--warmup", "1", "--iterations", "2", "--gemm-size", "0");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).containsPattern("deploy +onnxruntime +1 ")
                .containsPattern("deploy +pytorch +1 ")
                .containsPattern("batch 1: deploy form on onnxruntime is \\d+\\.\\d\\dx the speed of pytorch");
    }

    @Test
    void allEnginesTimeTheDeployFormOnOneDnnToo() {
        String plain = "depths=1,2,2,1;widths=0.25,0.25,0.25,0.25";
        Run run = repvgg("bench", "--arch", plain, "--arch", TINY, "--form", "deploy", "--batch", "2",
                "--image-size", "32", "--warmup", "1", "--iterations", "2", "--threads", "1", "--gemm-size", "0");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).containsPattern("deploy +onednn +2 +1 ")
                .containsPattern("batch 2: deploy form on onednn is \\d+\\.\\d\\dx the speed of onnxruntime")
                .containsPattern("batch 2: deploy form on onednn is \\d+\\.\\d\\dx the speed of pytorch");
        // The SE network is timed on the other two engines only, and says why.
        assertThat(run.out().lines().filter(l -> l.matches(".* deploy +onednn +2 .*"))).hasSize(1);
        assertThat(run.err()).contains("not timed on onednn, which has no squeeze-excitation blocks");

        Run listed = repvgg("bench", "--arch", plain, "--engine", "onednn,onnxruntime", "--form", "deploy", "--batch",
                "1", "--image-size", "32", "--warmup", "1", "--iterations", "2", "--gemm-size", "0", "--json");
        assertThat(listed.exit()).as(listed.err()).isZero();
        assertThat(listed.out().lines()).hasSize(2);
        assertThat(listed.out().lines().filter(l -> l.contains("\"engine\":\"onednn\""))).hasSize(1);
    }

    @Test
    void onnxRuntimeCannotTimeTheTrainFormAlone() {
        Run run = repvgg("bench", "--arch", TINY, "--engine", "onnxruntime", "--form", "train");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err().lines()).hasSize(1);
        assertThat(run.err()).contains("--engine onnxruntime times the deploy form only");

        Run unknown = repvgg("bench", "--engine", "tensorrt");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("'tensorrt' is not one of pytorch, onnxruntime, onednn, both, all");
    }

    @Test
    void int8IsTimedRightAfterFp32OnOnnxRuntime(@TempDir Path tmp) throws Exception {
        Path images = StripeImages.write(tmp.resolve("stripes"), 4, 1);
        StringBuilder list = new StringBuilder();
        try (var files = Files.walk(images)) {
            files.filter(f -> f.toString().endsWith(".png")).forEach(f -> list.append(f).append('\n'));
        }
        Path calibration = Files.writeString(tmp.resolve("calibration.txt"), list);

        Run run = repvgg("bench", "--arch", TINY, "--engine", "onnxruntime", "--form", "deploy", "--precision", "both",
                "--calibration", calibration.toString(), "--calibration-images", "4", "--batch", "1,2",
                "--image-size", "32", "--warmup", "1", "--iterations", "2", "--threads", "1");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).containsPattern("deploy +onnxruntime-int8 +2 ")
                .containsPattern("batch 1: int8 on onnxruntime is \\d+\\.\\d\\dx the speed of fp32 on onnxruntime")
                .containsPattern("batch 2: int8 on onnxruntime is ");

        Run noList = repvgg("bench", "--arch", TINY, "--engine", "onnxruntime", "--form", "deploy", "--precision", "int8");
        assertThat(noList.exit()).isEqualTo(2);
        assertThat(noList.err()).contains("--precision int8 times the deploy form in ONNX Runtime");
    }

    @Test
    void bf16IsTimedOnLibtorchBesideFp32OnBothEngines() {
        Run run = repvgg("bench", "--arch", TINY, "--engine", "both", "--form", "deploy", "--precision", "fp32,bf16",
                "--batch", "2", "--image-size", "32", "--warmup", "1", "--iterations", "2", "--threads", "1",
                "--gemm-size", "0");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).containsPattern("deploy +pytorch-bf16 +2 ")
                .containsPattern("batch 2: bf16 on pytorch is \\d+\\.\\d\\dx the speed of fp32 on pytorch")
                .containsPattern("batch 2: bf16 on pytorch is \\d+\\.\\d\\dx the speed of fp32 on onnxruntime");

        // With all three engines bf16 is still timed once, and compared with fp32 on each.
        Run all = repvgg("bench", "--arch", "depths=1,2,2,1;widths=0.25,0.25,0.25,0.25", "--form", "deploy",
                "--precision", "fp32,bf16", "--batch", "2", "--image-size", "32", "--warmup", "1", "--iterations", "2",
                "--threads", "1", "--gemm-size", "0");
        assertThat(all.exit()).as(all.err()).isZero();
        assertThat(all.out().lines().filter(l -> l.matches(".* deploy +pytorch-bf16 +2 .*"))).hasSize(1);
        assertThat(all.out()).containsPattern("batch 2: bf16 on pytorch is \\d+\\.\\d\\dx the speed of fp32 on onednn");

        Run onnxOnly = repvgg("bench", "--arch", TINY, "--engine", "onnxruntime", "--form", "deploy", "--precision", "bf16");
        assertThat(onnxOnly.exit()).isEqualTo(2);
        assertThat(onnxOnly.err()).contains("--precision bf16 times RepVGG's deploy form on libtorch");
        Run unknown = repvgg("bench", "--arch", TINY, "--precision", "fp32,fp16");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("--precision: 'fp16' is not one of fp32, bf16, int8, both");
    }
}
