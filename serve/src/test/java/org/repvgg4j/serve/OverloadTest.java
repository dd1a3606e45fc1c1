package org.repvgg4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repvgg4j.infer.Classifier;
import org.repvgg4j.infer.Engine;
import org.repvgg4j.infer.Scores;

/**
 * The queue, the deadline, batching, the token and shutdown, on servers whose forward pass a test can
 * hold: while it is held, requests pile up exactly as behind a slow model.
 */
class OverloadTest {

    @TempDir
    static Path tmp;

    static Path model;
    static List<Path> images;
    static Classifier reference;

    @BeforeAll
    static void setUp() throws Exception {
        model = TestModels.tinyModel(tmp.resolve("tiny"));
        images = TestModels.images(1);
        reference = Classifier.open(model, Classifier.Options.of(Engine.PYTORCH));
    }

    @AfterAll
    static void tearDown() {
        reference.close();
    }

    /** A forward pass that waits for {@link #open} once it has started. */
    static final class Gate implements UnaryOperator<DynamicBatcher.Forward> {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch opened = new CountDownLatch(1);

        @Override
        public DynamicBatcher.Forward apply(DynamicBatcher.Forward forward) {
            return (nchw, count) -> {
                entered.countDown();
                try {
                    opened.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return forward.logits(nchw, count);
            };
        }

        void open() {
            opened.countDown();
        }
    }

    private static ServeOptions.Builder options() {
        return ServeOptions.builder().model("tiny", model).port(0).engine("pytorch");
    }

    private static int expectedTop1(Path image) throws Exception {
        return Scores.argmax(TestModels.expectedLogits(reference, image));
    }

    private static CompletableFuture<Http.Answer> postAsync(Http http, Path image) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return http.post("/predictions/tiny", Files.readAllBytes(image), "image/png");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    private static double gauge(Http http, String series) throws Exception {
        Matcher m = Pattern.compile(Pattern.quote(series) + " (\\S+)").matcher(http.get("/metrics").text());
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    private static int top1(Http.Answer a) {
        return a.json().getAsJsonObject().getAsJsonArray("predictions").get(0).getAsJsonObject().getAsJsonArray("top")
                .get(0).getAsJsonObject().get("index").getAsInt();
    }

    @Test
    void aServerWarmingUpAnswersItsOwnRequestsButIsNotReadyUntilDone() throws Exception {
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Gate gate = new Gate();
        CompletableFuture<ModelServer> starting = CompletableFuture.supplyAsync(() -> {
            try {
                return ModelServer.start(options().port(port).maxBatch(2).warmupSeconds(0.5).build(), gate);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        assertThat(gate.entered.await(60, TimeUnit.SECONDS)).as("the warm-up's first forward pass").isTrue();
        Http http = new Http(java.net.URI.create("http://127.0.0.1:" + port + "/"));
        Http.Answer notYet = http.get("/v2/health/ready");
        assertThat(notYet.status()).isEqualTo(503);
        assertThat(notYet.json().getAsJsonObject().get("ready").getAsBoolean()).isFalse();
        assertThat(http.get("/v2/models/tiny/ready").status()).isEqualTo(503);
        assertThat(http.get("/v2/health/live").status()).isEqualTo(200);
        assertThat(starting).isNotDone();

        gate.open();
        try (ModelServer server = starting.get(60, TimeUnit.SECONDS)) {
            Http.Answer ready = http.get("/v2/health/ready");
            assertThat(ready.status()).isEqualTo(200);
            assertThat(ready.json().getAsJsonObject().get("ready").getAsBoolean()).isTrue();
            assertThat(gauge(http, "repvgg_requests_total{model=\"tiny\",route=\"/predictions/{model}\",status=\"200\"}"))
                    .as("the warm-up's own requests").isGreaterThanOrEqualTo(2.0);
            assertThat(top1(http.post("/predictions/tiny", Files.readAllBytes(images.get(0)), "image/png")))
                    .isEqualTo(expectedTop1(images.get(0)));
        }
    }

    @Test
    void aLoadGeneratorMeasuresOnlyTheRequestsAfterItsWarmUp() throws Exception {
        try (ModelServer server = ModelServer.start(options().maxBatch(4).build());
                LoadGenerator load = new LoadGenerator(server.uri(), "tiny", null, images.subList(0, 3))) {
            Http http = new Http(server.uri());
            LoadGenerator.Report report = load.run(3, 7, 12, false);

            assertThat(report.byStatus()).containsExactlyEntriesOf(java.util.Map.of(200, 12));
            assertThat(report.samples()).hasSize(12).allSatisfy(s -> {
                assertThat(s.status()).isEqualTo(200);
                assertThat(s.client()).isBetween(0, 2);
                assertThat(s.batch()).isBetween(1, 4);
                assertThat(s.latencyMs()).isGreaterThanOrEqualTo(s.inferenceMs());
            });
            assertThat(report.samples()).anySatisfy(s -> assertThat(s.sentMs()).isZero());
            assertThat(report.meanBatch()).isBetween(1.0, 4.0);
            // The server answered the warm-up too: 19 requests in all, of which the report holds 12.
            assertThat(gauge(http, "repvgg_requests_total{model=\"tiny\",route=\"/predictions/{model}\",status=\"200\"}"))
                    .isEqualTo(19.0);
        }
    }

    @Test
    void aLoadGeneratorThatHonoursRetryAfterWaitsAsToldAndIsThenServed() throws Exception {
        Gate gate = new Gate();
        try (ModelServer server = ModelServer.start(options().maxBatch(1).maxQueue(1).timeoutMs(60_000).build(), gate);
                LoadGenerator load = new LoadGenerator(server.uri(), "tiny", null, images.subList(2, 3))) {
            Http http = new Http(server.uri());
            CompletableFuture<Http.Answer> held = postAsync(http, images.get(0));
            assertThat(gate.entered.await(30, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Http.Answer> queued = postAsync(http, images.get(1));
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (gauge(http, "repvgg_queue_depth{model=\"tiny\"}") < 1 && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            CompletableFuture<LoadGenerator.Report> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return load.run(1, 0, 3, true);
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
            });
            String refusals = "repvgg_rejected_total{model=\"tiny\",reason=\"queue_full\"}";
            while (!(gauge(http, refusals) >= 1) && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            long refused = System.nanoTime();
            gate.open(); // the client is waiting out its Retry-After; the server drains meanwhile

            LoadGenerator.Report report = run.get(60, TimeUnit.SECONDS);
            assertThat(report.byStatus()).containsExactlyInAnyOrderEntriesOf(java.util.Map.of(503, 1, 200, 2));
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - refused)).as("waited the Retry-After")
                    .isGreaterThanOrEqualTo(900);
            assertThat(held.get(60, TimeUnit.SECONDS).status()).isEqualTo(200);
            assertThat(queued.get(60, TimeUnit.SECONDS).status()).isEqualTo(200);
        }
    }

    @Test
    void aFullQueueAnswers503WithRetryAfterAtOnceAndEveryAcceptedRequestGetsItsAnswer() throws Exception {
        Gate gate = new Gate();
        int queue = 4;
        try (ModelServer server = ModelServer.start(options().maxBatch(1).maxQueue(queue).timeoutMs(60_000).build(), gate)) {
            Http http = new Http(server.uri());
            List<Path> accepted = new ArrayList<>();
            List<CompletableFuture<Http.Answer>> answers = new ArrayList<>();
            accepted.add(images.get(0));
            answers.add(postAsync(http, images.get(0)));
            assertThat(gate.entered.await(30, TimeUnit.SECONDS)).isTrue();
            for (int i = 1; i <= queue; i++) {
                accepted.add(images.get(i));
                answers.add(postAsync(http, images.get(i)));
            }
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (gauge(http, "repvgg_queue_depth{model=\"tiny\"}") < queue && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            assertThat(gauge(http, "repvgg_queue_depth{model=\"tiny\"}")).isEqualTo(queue);

            for (int i = 0; i < 6; i++) {
                long t0 = System.nanoTime();
                Http.Answer refused = http.post("/predictions/tiny", Files.readAllBytes(images.get(5 + i % 4)), "image/png");
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertThat(refused.status()).isEqualTo(503);
                assertThat(refused.header("Retry-After")).matches("[1-9][0-9]*");
                assertThat(refused.error()).contains("--max-queue");
                assertThat(ms).as("refused at once").isLessThan(2000);
            }
            assertThat(answers).allMatch(f -> !f.isDone());

            gate.open();
            for (int i = 0; i < answers.size(); i++) {
                Http.Answer a = answers.get(i).get(60, TimeUnit.SECONDS);
                assertThat(a.status()).as(a.text()).isEqualTo(200);
                assertThat(top1(a)).isEqualTo(expectedTop1(accepted.get(i)));
            }
            Http.Answer recovered = http.post("/predictions/tiny", Files.readAllBytes(images.get(9)), "image/png");
            assertThat(recovered.status()).isEqualTo(200);
            assertThat(top1(recovered)).isEqualTo(expectedTop1(images.get(9)));
            assertThat(gauge(http, "repvgg_rejected_total{model=\"tiny\",reason=\"queue_full\"}")).isEqualTo(6.0);
            assertThat(http.get("/metrics").text()).doesNotContain("status=\"500\"");
        }
    }

    @Test
    void aRequestPastItsDeadlineGets504AndNeverALateAnswer() throws Exception {
        Gate gate = new Gate();
        try (ModelServer server = ModelServer.start(options().maxBatch(1).timeoutMs(1500).build(), gate)) {
            Http http = new Http(server.uri());
            long t0 = System.nanoTime();
            CompletableFuture<Http.Answer> held = postAsync(http, images.get(0));
            assertThat(gate.entered.await(30, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Http.Answer> queued = postAsync(http, images.get(1));

            Http.Answer first = held.get(10, TimeUnit.SECONDS);
            Http.Answer second = queued.get(10, TimeUnit.SECONDS);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(first.status()).isEqualTo(504);
            assertThat(second.status()).isEqualTo(504);
            assertThat(first.error()).contains("--timeout-ms");
            assertThat(ms).isLessThan(5000);

            gate.open();
            Http.Answer after = http.post("/predictions/tiny", Files.readAllBytes(images.get(2)), "image/png");
            assertThat(after.status()).isEqualTo(200);
            assertThat(gauge(http, "repvgg_rejected_total{model=\"tiny\",reason=\"deadline\"}")).isGreaterThanOrEqualTo(2.0);
        }
    }

    @Test
    void requestsArrivingTogetherRunAsOneBatch() throws Exception {
        try (ModelServer server = ModelServer.start(options().maxBatch(8).maxDelayMs(300).build())) {
            Http http = new Http(server.uri());
            List<CompletableFuture<Http.Answer>> answers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                answers.add(postAsync(http, images.get(i)));
            }
            int largest = 0;
            for (int i = 0; i < 8; i++) {
                Http.Answer a = answers.get(i).get(30, TimeUnit.SECONDS);
                assertThat(a.status()).isEqualTo(200);
                assertThat(top1(a)).isEqualTo(expectedTop1(images.get(i)));
                largest = Math.max(largest, a.json().getAsJsonObject().getAsJsonArray("predictions").get(0)
                        .getAsJsonObject().get("batch_size").getAsInt());
            }
            assertThat(largest).isGreaterThan(1);
        }
    }

    @Test
    void aBearerTokenGuardsEverythingButHealth() throws Exception {
        try (ModelServer server = ModelServer.start(options().token("s3cret").build())) {
            byte[] png = Files.readAllBytes(images.get(0));
            Http none = new Http(server.uri());
            Http wrong = new Http(server.uri(), "guess");
            Http right = new Http(server.uri(), "s3cret");

            Http.Answer missing = none.post("/predictions/tiny", png, "image/png");
            assertThat(missing.status()).isEqualTo(401);
            assertThat(missing.header("WWW-Authenticate")).isEqualTo("Bearer");
            assertThat(missing.error()).contains("Authorization: Bearer");
            assertThat(wrong.post("/predictions/tiny", png, "image/png").status()).isEqualTo(401);
            assertThat(wrong.get("/metrics").status()).isEqualTo(401);
            assertThat(right.post("/predictions/tiny", png, "image/png").status()).isEqualTo(200);
            assertThat(none.get("/v2/health/live").status()).isEqualTo(200);
            assertThat(none.get("/v2/health/ready").status()).isEqualTo(200);
        }
    }

    @Test
    void closingFinishesAcceptedRequestsAndStopsAccepting() throws Exception {
        Gate gate = new Gate();
        ModelServer server = ModelServer.start(options().maxBatch(1).timeoutMs(30_000).build(), gate);
        Http http = new Http(server.uri());
        CompletableFuture<Http.Answer> accepted = postAsync(http, images.get(3));
        assertThat(gate.entered.await(30, TimeUnit.SECONDS)).isTrue();

        CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
        Thread.sleep(300);
        assertThat(closing).isNotDone();
        try {
            Http.Answer late = http.get("/v2/health/live");
            assertThat(late.status()).isEqualTo(503);
        } catch (ConnectException expected) {
            // not accepting connections any more: as good as a 503
        }
        gate.open();
        Http.Answer a = accepted.get(30, TimeUnit.SECONDS);
        assertThat(a.status()).isEqualTo(200);
        assertThat(top1(a)).isEqualTo(expectedTop1(images.get(3)));
        closing.get(30, TimeUnit.SECONDS);
    }
}
