package org.repvgg4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.repvgg4j.cli.CommandsTest.repvgg;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repvgg4j.cli.CommandsTest.Run;
import org.repvgg4j.infer.OnnxRuntimeRunner;

class Int8CommandsTest {

    @TempDir
    static Path tmp;

    private static Path data;
    private static Path model;

    @BeforeAll
    static void splitAndInit() throws Exception {
        Path images = StripeImages.write(tmp.resolve("stripes"), 20, 11);
        data = tmp.resolve("split");
        assertThat(repvgg("split", "--input", images.toString(), "--out", data.toString()).exit()).isZero();
        model = tmp.resolve("model");
        Run init = repvgg("init", "--arch", "depths=1,2,1,1;widths=0.125,0.125,0.125,0.25", "--classes",
                data.resolve("annotations.txt").toString(), "--image-size", "16", "--out", model.toString());
        assertThat(init.exit()).as(init.err()).isZero();
    }

    @Test
    void exportsAnInt8ModelThatEvalAndBatchRunByFileName() throws Exception {
        Path int8 = tmp.resolve("out/model-int8.onnx");

        Run export = repvgg("export", "--model", model.toString(), "--precision", "int8",
                "--calibration", data.resolve("train.txt").toString(), "--calibration-images", "16",
                "--check-images", "16", "--min-agreement", "0.5", "--out", int8.toString());

        assertThat(export.exit()).as(export.err()).isZero();
        assertThat(export.out())
                .contains("calibration: 16 images from " + data.resolve("train.txt") + " (16 more for the check")
                .containsPattern("int8 vs fp32 on 16 images: top-1 agreement \\S+%, max \\|int8 - fp32\\| / max \\|fp32\\| = \\S+")
                .contains("wrote " + int8 + ": RepVGG-");
        try (OnnxRuntimeRunner ort = OnnxRuntimeRunner.open(int8, 1)) {
            assertThat(ort.metadata()).containsEntry("precision", "int8").containsEntry("calibration.images", "16")
                    .containsEntry("classes", "[\"horizontal\",\"vertical\"]");
        }
        Run info = repvgg("info", "--model", int8.toString());
        assertThat(info.exit()).as(info.err()).isZero();
        assertThat(info.out()).contains("model " + int8 + ": ONNX, deploy form, int8, ");

        Run eval = repvgg("eval", "--model", int8.toString(), "--list", data.resolve("val.txt").toString(), "--json");
        assertThat(eval.exit()).as(eval.err()).isZero();
        JsonObject summary = JsonParser.parseString(eval.out().strip()).getAsJsonObject();
        assertThat(summary.get("images").getAsInt()).isEqualTo(8);

        Path results = tmp.resolve("results");
        Run batch = repvgg("batch", "--model", int8.toString(), "--lists", data.resolve("val.txt").toString(),
                "--out", results.toString());
        assertThat(batch.exit()).as(batch.err()).isZero();
        List<String> rows = Files.readAllLines(results.resolve("val.csv"));
        assertThat(rows).hasSize(9);
        assertThat(rows.get(1)).containsAnyOf("horizontal", "vertical");
    }

    @Test
    void missingCalibrationListIsNamedAndNothingIsWritten() {
        Path missing = tmp.resolve("no-such-list.txt");
        Path out = tmp.resolve("never.onnx");

        Run run = repvgg("export", "--model", model.toString(), "--precision", "int8", "--calibration",
                missing.toString(), "--out", out.toString());

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err().lines()).hasSize(1);
        assertThat(run.err()).contains(missing.toString()).contains("calibration list not found");
        assertThat(out).doesNotExist();
    }

    @Test
    void int8WithoutCalibrationOrAnOnnxFileOnPytorchIsABadOption() {
        Run noList = repvgg("export", "--model", model.toString(), "--precision", "int8");
        assertThat(noList.exit()).isEqualTo(2);
        assertThat(noList.err()).contains("--precision int8 needs --calibration LIST");

        Run badPrecision = repvgg("export", "--model", model.toString(), "--precision", "int4");
        assertThat(badPrecision.exit()).isEqualTo(2);
        assertThat(badPrecision.err()).contains("'int4' is not one of fp32, bf16, int8");
    }
}
