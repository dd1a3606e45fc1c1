package org.repvgg4j.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repvgg4j.data.ImageDecoder;
import org.repvgg4j.data.ImageTransform;
import org.repvgg4j.infer.Classifier;
import org.repvgg4j.infer.Engine;
import org.repvgg4j.infer.Scores;

/** Every route and every bad input, against a real server on a free loopback port. */
class ModelServerTest {

    @TempDir
    static Path tmp;

    static Path model;
    static List<Path> images;
    static Classifier reference;
    static ModelServer server;
    static Http http;

    @BeforeAll
    static void start() throws Exception {
        model = TestModels.tinyModel(tmp.resolve("tiny"));
        images = TestModels.images(2);
        TestModels.batchResults(model, images, tmp.resolve("labelled.txt"), tmp.resolve("results"));
        reference = Classifier.open(model, Classifier.Options.of(Engine.PYTORCH));
        server = ModelServer.start(ServeOptions.builder().model("tiny", model).port(0).engine("pytorch")
                .maxBodyBytes(200_000).maxPixels(1_000_000).results(tmp.resolve("results"), tmp.resolve("labelled.txt"))
                .build());
        http = new Http(server.uri());
    }

    @AfterAll
    static void stop() {
        server.close();
        reference.close();
    }

    private static int[] expectedTop(Path image, int k) throws Exception {
        return Scores.topK(Scores.softmax(TestModels.expectedLogits(reference, image)), k);
    }

    private static int[] indices(JsonArray top) {
        int[] out = new int[top.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = top.get(i).getAsJsonObject().get("index").getAsInt();
        }
        return out;
    }

    @Test
    void rawImageBytesGetTheClassifiersTopFiveWithLabelsAndTimings() throws Exception {
        Path image = images.get(3);
        Http.Answer a = http.post("/predictions/tiny", Files.readAllBytes(image), "image/png");

        assertThat(a.status()).as(a.text()).isEqualTo(200);
        JsonObject only = a.json().getAsJsonObject().getAsJsonArray("predictions").get(0).getAsJsonObject();
        JsonArray top = only.getAsJsonArray("top");
        assertThat(indices(top)).containsExactly(expectedTop(image, 5));
        JsonObject best = top.get(0).getAsJsonObject();
        assertThat(best.get("label").getAsString()).isEqualTo(TestModels.classes().get(best.get("index").getAsInt()));
        float[] p = Scores.softmax(TestModels.expectedLogits(reference, image));
        assertThat(best.get("probability").getAsDouble()).isCloseTo(p[best.get("index").getAsInt()], within(1e-5));
        assertThat(only.getAsJsonObject("timings_ms").keySet()).containsExactly("preprocess", "queue", "inference", "total");
    }

    @Test
    void multipartWithSeveralFilePartsAnswersEachImageInOrderInTheSameShape() throws Exception {
        List<Http.Part> parts = new ArrayList<>();
        for (Path image : images.subList(0, 3)) {
            parts.add(new Http.Part(image.getFileName().toString(), Files.readAllBytes(image)));
        }
        Http.Answer a = http.multipart("/predictions/tiny?top_k=3", parts);

        assertThat(a.status()).as(a.text()).isEqualTo(200);
        JsonArray predictions = a.json().getAsJsonObject().getAsJsonArray("predictions");
        assertThat(predictions).hasSize(3);
        for (int i = 0; i < 3; i++) {
            JsonObject p = predictions.get(i).getAsJsonObject();
            assertThat(p.get("name").getAsString()).isEqualTo(images.get(i).getFileName().toString());
            assertThat(indices(p.getAsJsonArray("top"))).containsExactly(expectedTop(images.get(i), 3));
        }
    }

    @Test
    void openInferenceProtocolMetadataAndHealth() throws Exception {
        assertThat(http.get("/v2").json().getAsJsonObject().get("name").getAsString()).isEqualTo("repvgg4j");
        assertThat(http.get("/v2/health/live").status()).isEqualTo(200);
        assertThat(http.get("/v2/health/ready").json().getAsJsonObject().get("ready").getAsBoolean()).isTrue();
        assertThat(http.get("/v2/models/tiny/ready").json().getAsJsonObject().get("ready").getAsBoolean()).isTrue();
        JsonObject meta = http.get("/v2/models/tiny").json().getAsJsonObject();
        assertThat(meta.getAsJsonArray("inputs").get(0).getAsJsonObject().getAsJsonArray("shape").toString())
                .isEqualTo("[-1,3,32,32]");
        assertThat(meta.getAsJsonArray("outputs").get(0).getAsJsonObject().getAsJsonArray("shape").toString())
                .isEqualTo("[-1,10]");
        assertThat(http.get("/models").json().getAsJsonArray().get(0).getAsJsonObject().get("input_size").getAsInt())
                .isEqualTo(32);
    }

    @Test
    void inferWithAnFp32TensorReturnsTheNetworksLogits() throws Exception {
        ImageTransform transform = ImageTransform.eval(reference.preprocessing());
        float[] a = transform.apply(ImageDecoder.read(images.get(0)), null);
        float[] b = transform.apply(ImageDecoder.read(images.get(5)), null);
        JsonArray data = new JsonArray();
        for (float[] t : List.of(a, b)) {
            for (float v : t) {
                data.add(v);
            }
        }
        String body = "{\"id\":\"r1\",\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[2,3,32,32],\"data\":"
                + data + "}],\"parameters\":{\"top_k\":2}}";
        Http.Answer answer = http.postJson("/v2/models/tiny/infer", body);

        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        JsonObject json = answer.json().getAsJsonObject();
        assertThat(json.get("id").getAsString()).isEqualTo("r1");
        JsonObject scores = json.getAsJsonArray("outputs").get(0).getAsJsonObject();
        assertThat(scores.getAsJsonArray("shape").toString()).isEqualTo("[2,10]");
        float[] expected = reference.logits(concat(a, b), 2)[1];
        JsonArray got = scores.getAsJsonArray("data");
        for (int c = 0; c < 10; c++) {
            assertThat(got.get(10 + c).getAsFloat()).isCloseTo(expected[c], within(1e-4f));
        }
        JsonObject top = json.getAsJsonArray("outputs").get(1).getAsJsonObject();
        assertThat(top.getAsJsonArray("shape").toString()).isEqualTo("[2,2]");
        assertThat(top.getAsJsonArray("data").get(2).getAsString()).endsWith(":" + Scores.argmax(expected) + ":"
                + TestModels.classes().get(Scores.argmax(expected)));
    }

    @Test
    void inferWithBytesOfEncodedImagesAnswersAsPredictionsDo() throws Exception {
        Path image = images.get(7);
        String b64 = Base64.getEncoder().encodeToString(Files.readAllBytes(image));
        Http.Answer answer = http.postJson("/v2/models/tiny/infer",
                "{\"inputs\":[{\"name\":\"image\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\"" + b64 + "\"]}]}");

        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        JsonArray top = answer.json().getAsJsonObject().getAsJsonArray("outputs").get(1).getAsJsonObject()
                .getAsJsonArray("data");
        assertThat(top).hasSize(5);
        assertThat(top.get(0).getAsString().split(":")[1]).isEqualTo(Integer.toString(expectedTop(image, 1)[0]));
    }

    @Test
    void metricsAreInPrometheusTextWithRequestsLatenciesBatchSizesAndQueueDepth() throws Exception {
        http.post("/predictions/tiny", Files.readAllBytes(images.get(0)), "image/png");
        Http.Answer m = http.get("/metrics");

        assertThat(m.status()).isEqualTo(200);
        assertThat(m.header("Content-Type")).startsWith("text/plain");
        assertThat(m.text())
                .contains("repvgg_requests_total{model=\"tiny\",route=\"/predictions/{model}\",status=\"200\"}")
                .contains("repvgg_latency_seconds_bucket{model=\"tiny\",stage=\"inference\"")
                .contains("repvgg_latency_seconds_bucket{model=\"tiny\",stage=\"preprocess\"")
                .contains("repvgg_latency_seconds_bucket{model=\"tiny\",stage=\"queue\"")
                .contains("repvgg_latency_seconds_bucket{model=\"tiny\",stage=\"total\"")
                .contains("repvgg_batch_size_count{model=\"tiny\"}")
                .contains("repvgg_queue_depth{model=\"tiny\"}");
    }

    @Test
    void gradCamOverlayIsAPng() throws Exception {
        Http.Answer a = http.post("/cam/tiny?class=2", Files.readAllBytes(images.get(0)), "image/png");

        assertThat(a.status()).as(a.text()).isEqualTo(200);
        BufferedImage png = ImageIO.read(new ByteArrayInputStream(a.body()));
        assertThat(png.getWidth()).isEqualTo(224);
    }

    @Test
    void pageAndItsFilesAreServedFromTheJar() throws Exception {
        assertThat(http.get("/").text()).contains("<script src=\"/assets/app.js\"");
        assertThat(http.get("/assets/app.js").status()).isEqualTo(200);
        assertThat(http.get("/assets/style.css").status()).isEqualTo(200);
        assertThat(http.get("/assets/..%2Fweb%2Findex.html").status()).isEqualTo(404);
    }

    @Test
    void resultsViewHasTheReportTheConfusionCellsAndOnlyListedImages() throws Exception {
        JsonObject summary = http.get("/results").json().getAsJsonObject();
        assertThat(summary.get("images").getAsLong()).isEqualTo(images.size());
        assertThat(summary.getAsJsonArray("rows")).hasSize(10);
        JsonArray confusion = summary.getAsJsonArray("confusion");
        int actual = -1;
        int predicted = -1;
        for (int i = 0; i < 10 && actual < 0; i++) {
            for (int j = 0; j < 10; j++) {
                if (confusion.get(i).getAsJsonArray().get(j).getAsLong() > 0) {
                    actual = i;
                    predicted = j;
                    break;
                }
            }
        }
        JsonArray cell = http.get("/results/cell?actual=" + actual + "&predicted=" + predicted).json().getAsJsonArray();
        assertThat(cell).hasSize((int) confusion.get(actual).getAsJsonArray().get(predicted).getAsLong());
        String path = cell.get(0).getAsJsonObject().get("path").getAsString();
        Http.Answer image = http.get("/results/image?path=" + URLEncoder.encode(path, StandardCharsets.UTF_8));
        assertThat(image.status()).isEqualTo(200);
        assertThat(image.body()).isEqualTo(Files.readAllBytes(Path.of(path)));

        for (String outside : List.of(path + "/../../../../etc/passwd", "/etc/passwd", "../../pom.xml",
                Path.of(path).getParent().resolve("..").resolve(Path.of(path).getParent().getFileName())
                        .resolve(Path.of(path).getFileName()).toString(),
                model.resolve("model.json").toString())) {
            Http.Answer refused = http.get("/results/image?path=" + URLEncoder.encode(outside, StandardCharsets.UTF_8));
            assertThat(refused.status()).as(outside).isEqualTo(404);
            assertThat(refused.error()).contains("not an image of the results list");
        }
    }

    /**
     * A body over the limit is refused before it is used, but the client is still sending it; the
     * 413 must reach the client every time rather than be lost to a connection closed under it.
     */
    @Test
    void everyOversizedBodyGetsIts413AndTheConnectionStaysUsable() throws Exception {
        byte[] big = new byte[300_000];
        for (int i = 0; i < 150; i++) {
            Http.Answer declared = http.post("/predictions/tiny", big, "image/png");
            assertThat(declared.status()).as("try %d, with Content-Length", i).isEqualTo(413);
            Http.Answer chunked = http.send(http.request("/predictions/tiny").header("Content-Type", "image/png")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))));
            assertThat(chunked.status()).as("try %d, chunked", i).isEqualTo(413);
        }
        assertThat(http.get("/v2/health/ready").status()).isEqualTo(200);
    }

    @Test
    void badInputsGetA4xxThatSaysWhatWasWrongAndTheServerKeepsServing() throws Exception {
        byte[] png = Files.readAllBytes(images.get(0));

        Http.Answer notImage = http.post("/predictions/tiny", "hello, not an image".getBytes(StandardCharsets.UTF_8),
                "application/octet-stream");
        assertThat(notImage.status()).isEqualTo(400);
        assertThat(notImage.error()).contains("not an image");

        Http.Answer truncated = http.post("/predictions/tiny", Arrays.copyOf(png, png.length / 2), "image/png");
        assertThat(truncated.status()).isEqualTo(400);
        assertThat(truncated.error()).startsWith("body:");

        byte[] corrupt = png.clone();
        for (int i = 40; i < corrupt.length - 20; i++) {
            corrupt[i] ^= 0x5a;
        }
        Http.Answer damaged = http.post("/predictions/tiny", corrupt, "image/png");
        assertThat(damaged.status()).isEqualTo(400);

        Http.Answer empty = http.post("/predictions/tiny", new byte[0], "image/png");
        assertThat(empty.status()).isEqualTo(400);
        assertThat(empty.error()).contains("empty body");

        Http.Answer tooLarge = http.post("/predictions/tiny", new byte[300_000], "image/png");
        assertThat(tooLarge.status()).isEqualTo(413);
        assertThat(tooLarge.error()).contains("--max-body-mb");

        Http.Answer chunked = http.send(http.request("/predictions/tiny").header("Content-Type", "image/png")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(new byte[300_000]))));
        assertThat(chunked.status()).as("a body without Content-Length").isEqualTo(413);
        assertThat(chunked.error()).contains("--max-body-mb");

        Http.Answer bomb = http.post("/predictions/tiny", pngClaiming(50_000, 50_000), "image/png");
        assertThat(bomb.status()).isEqualTo(400);
        assertThat(bomb.error()).contains("2500000000 pixels").contains("--max-pixels");

        Http.Answer unknown = http.post("/predictions/nosuch", png, "image/png");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.error()).contains("no model 'nosuch'").contains("tiny");
        assertThat(http.get("/v2/models/nosuch").status()).isEqualTo(404);

        Http.Answer badTopK = http.post("/predictions/tiny?top_k=11", png, "image/png");
        assertThat(badTopK.status()).isEqualTo(400);
        assertThat(badTopK.error()).contains("10 classes");

        Http.Answer noFilePart = http.multipart("/predictions/tiny", List.of());
        assertThat(noFilePart.status()).isEqualTo(400);

        Http.Answer shape = http.postJson("/v2/models/tiny/infer",
                "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,3,16,16],\"data\":[0]}]}");
        assertThat(shape.status()).isEqualTo(400);
        assertThat(shape.error()).contains("[1, 3, 16, 16]").contains("[N,3,32,32]");

        Http.Answer count = http.postJson("/v2/models/tiny/infer",
                "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,3,32,32],\"data\":[1,2,3]}]}");
        assertThat(count.status()).isEqualTo(400);
        assertThat(count.error()).contains("needs 3072 values");

        Http.Answer dtype = http.postJson("/v2/models/tiny/infer",
                "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"INT8\",\"shape\":[1,3,32,32],\"data\":[0]}]}");
        assertThat(dtype.status()).isEqualTo(400);
        assertThat(dtype.error()).contains("datatype INT8");

        Http.Answer notJson = http.postJson("/v2/models/tiny/infer", "{inputs: [");
        assertThat(notJson.status()).isEqualTo(400);

        Http.Answer badBase64 = http.postJson("/v2/models/tiny/infer",
                "{\"inputs\":[{\"name\":\"image\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\"@@@\"]}]}");
        assertThat(badBase64.status()).isEqualTo(400);
        assertThat(badBase64.error()).contains("not base64");

        Http.Answer wrongMethod = http.get("/predictions/tiny");
        assertThat(wrongMethod.status()).isEqualTo(405);
        assertThat(wrongMethod.error()).contains("GET");
        assertThat(http.send("DELETE", "/v2/health/live").status()).isEqualTo(405);

        Http.Answer noRoute = http.get("/nowhere");
        assertThat(noRoute.status()).isEqualTo(404);
        assertThat(noRoute.error()).contains("/nowhere");

        Http.Answer after = http.post("/predictions/tiny", png, "image/png");
        assertThat(after.status()).isEqualTo(200);
        assertThat(http.get("/metrics").text()).doesNotContain("status=\"500\"");
    }

    /** A valid 1 x 1 PNG whose header claims {@code width x height}: a few bytes that would decode to gigabytes. */
    static byte[] pngClaiming(int width, int height) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB), "png", out);
        byte[] png = out.toByteArray();
        ByteBuffer b = ByteBuffer.wrap(png);
        b.putInt(16, width).putInt(20, height);
        CRC32 crc = new CRC32();
        crc.update(png, 12, 17); // "IHDR" and its 13 bytes
        b.putInt(29, (int) crc.getValue());
        return png;
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
