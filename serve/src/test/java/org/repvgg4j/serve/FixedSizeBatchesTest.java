package org.repvgg4j.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonArray;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repvgg4j.infer.Classifier;
import org.repvgg4j.infer.Engine;
import org.repvgg4j.infer.Scores;

/** Batches run as pieces of a few sizes give each image the logits it has alone, on a real oneDNN server too. */
class FixedSizeBatchesTest {

    @TempDir
    Path tmp;

    @Test
    void sizesArePowersOfTwoBelowTheLargestBatchThenItself() {
        assertThat(FixedSizeBatches.sizes(32)).containsExactly(1, 2, 4, 8, 16, 32);
        assertThat(FixedSizeBatches.sizes(24)).containsExactly(1, 2, 4, 8, 16, 24);
        assertThat(FixedSizeBatches.sizes(1)).containsExactly(1);
    }

    @Test
    void aBatchRunsAsPiecesOfTheFixedSizesLargestFirstInOrder() {
        List<Integer> ran = new ArrayList<>();
        DynamicBatcher.Forward firstValue = (nchw, count) -> {
            ran.add(count);
            float[][] rows = new float[count][];
            for (int i = 0; i < count; i++) {
                rows[i] = new float[] {nchw[i * 2]};
            }
            return rows;
        };
        FixedSizeBatches pieces = new FixedSizeBatches(firstValue, 2, 8);
        float[] seven = new float[14];
        for (int i = 0; i < 7; i++) {
            seven[2 * i] = i + 1;
        }

        float[][] out = pieces.logits(seven, 7);

        assertThat(ran).containsExactly(4, 2, 1);
        assertThat(out).hasNumberOfRows(7);
        for (int i = 0; i < 7; i++) {
            assertThat(out[i]).containsExactly(i + 1);
        }
        pieces.logits(new float[16], 8);
        assertThat(ran).containsExactly(4, 2, 1, 8);
    }

    @Test
    void aOneDnnServerAnswersEachImageOfAnOddBatchAsTheReferenceDoes() throws Exception {
        Path model = TestModels.tinyModel(tmp.resolve("tiny"));
        List<Path> images = TestModels.images(1).subList(0, 3);
        try (Classifier reference = Classifier.open(model, Classifier.Options.of(Engine.PYTORCH));
                ModelServer server = ModelServer.start(ServeOptions.builder().model("tiny", model).port(0)
                        .engine("onednn").maxBatch(8).build())) {
            List<Http.Part> parts = new ArrayList<>();
            for (Path image : images) {
                parts.add(new Http.Part(image.getFileName().toString(), Files.readAllBytes(image)));
            }
            Http.Answer a = new Http(server.uri()).multipart("/predictions/tiny?top_k=10", parts);

            assertThat(a.status()).as(a.text()).isEqualTo(200);
            JsonArray predictions = a.json().getAsJsonObject().getAsJsonArray("predictions");
            for (int i = 0; i < images.size(); i++) {
                float[] p = Scores.softmax(TestModels.expectedLogits(reference, images.get(i)));
                JsonArray top = predictions.get(i).getAsJsonObject().getAsJsonArray("top");
                for (int r = 0; r < top.size(); r++) {
                    int index = top.get(r).getAsJsonObject().get("index").getAsInt();
                    assertThat(top.get(r).getAsJsonObject().get("probability").getAsDouble())
                            .as("image %d class %d", i, index).isCloseTo(p[index], within(1e-5));
                }
            }
        }
    }
}
