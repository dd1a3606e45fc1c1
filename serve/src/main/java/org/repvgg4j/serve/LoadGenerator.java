package org.repvgg4j.serve;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.util.Timeout;

/**
 * Load on a running server: {@code clients} concurrent clients, each posting the next image to
 * {@code POST /predictions/{model}} as soon as its last answer came, until {@code requests} have been
 * sent; then it stops. Reports throughput, latency percentiles, answers by status and the mean batch
 * size the server formed meanwhile (from its {@code /metrics}); and, from each answer's own timings,
 * the forward pass of the batch each image rode in, so latency can be read as a multiple of it. A
 * client that gets a 503 asks again at once, or, with {@code honourRetryAfter}, after the seconds its
 * {@code Retry-After} says, as a well-behaved client would.
 */
public final class LoadGenerator implements AutoCloseable {

    /** Connections kept open to the server: more than any sensible number of clients. */
    private static final int MAX_CONNECTIONS = 4096;

    /**
     * What a run measured. Latencies in milliseconds; {@code meanBatch} NaN if the server's metrics were
     * unreadable. {@code forwardMs}: the mean forward pass of the batch each answered image rode in (a
     * batch of n counted n times); {@code p99OverForward}: the 99th percentile over answered images of
     * latency divided by that image's own batch's forward pass (NaN if no answer said);
     * {@code serverP99}: the 99th percentile of the server's own time per answered request (its
     * {@code timings_ms.total}, from the request's arrival to its answer), so that the part of the
     * latency spent outside the server (sending, reading, waiting for a core) shows as the difference.
     */
    public record Report(int clients, int requests, double seconds, double imagesPerSecond, double p50, double p95,
            double p99, Map<Integer, Integer> byStatus, Map<String, Integer> failures, double meanBatch,
            double forwardMs, double p99OverForward, double serverP99) {

        public int ok() {
            return byStatus.getOrDefault(200, 0);
        }

        @Override
        public String toString() {
            return String.format("%d clients, %d requests in %.2f s: %.1f images/s; latency ms p50 %.2f p95 %.2f p99 %.2f;"
                    + " status %s%s; mean batch %.2f; forward per batch %.2f ms; p99 of latency / own batch's forward %.2f;"
                    + " server's own p99 %.2f ms",
                    clients, requests, seconds, imagesPerSecond, p50, p95, p99, byStatus,
                    failures.isEmpty() ? "" : "; failed " + failures, meanBatch, forwardMs, p99OverForward, serverP99);
        }
    }

    private final URI base;
    private final String model;
    private final String token;
    private final List<byte[]> images;
    private final CloseableHttpClient client;

    public LoadGenerator(URI base, String model, String token, List<Path> images) throws IOException {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("no images to send");
        }
        this.base = base;
        this.model = model;
        this.token = token;
        this.images = new ArrayList<>(images.size());
        for (Path image : images) {
            this.images.add(Files.readAllBytes(image));
        }
        PoolingHttpClientConnectionManager connections = PoolingHttpClientConnectionManagerBuilder.create()
                .setMaxConnTotal(MAX_CONNECTIONS).setMaxConnPerRoute(MAX_CONNECTIONS)
                .setDefaultConnectionConfig(ConnectionConfig.custom()
                        .setConnectTimeout(Timeout.ofSeconds(10)).setSocketTimeout(Timeout.ofMinutes(5)).build())
                .build();
        this.client = HttpClients.custom().setConnectionManager(connections).disableAutomaticRetries()
                .disableCookieManagement().build();
    }

    public Report run(int clients, int requests) throws InterruptedException {
        return run(clients, requests, false);
    }

    /** As {@link #run(int, int)}; with {@code honourRetryAfter} each client waits as a 503's {@code Retry-After} says. */
    public Report run(int clients, int requests, boolean honourRetryAfter) throws InterruptedException {
        double[] before = batchTotals();
        AtomicInteger next = new AtomicInteger();
        long[] latencies = new long[requests];
        double[] forwardMs = new double[requests];
        Arrays.fill(forwardMs, Double.NaN);
        double[] serverMs = new double[requests];
        Arrays.fill(serverMs, Double.NaN);
        Map<Integer, AtomicInteger> byStatus = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
        AtomicLong images = new AtomicLong();
        CountDownLatch done = new CountDownLatch(clients);
        long start = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            Thread t = new Thread(() -> {
                try {
                    for (int i = next.getAndIncrement(); i < requests; i = next.getAndIncrement()) {
                        long t0 = System.nanoTime();
                        Answer answer = send(this.images.get(i % this.images.size()), failures);
                        latencies[i] = System.nanoTime() - t0;
                        forwardMs[i] = answer.forwardMs();
                        serverMs[i] = answer.serverMs();
                        byStatus.computeIfAbsent(answer.status(), s -> new AtomicInteger()).incrementAndGet();
                        if (answer.status() == 200) {
                            images.incrementAndGet();
                        } else if (honourRetryAfter && answer.retryAfterSeconds() > 0) {
                            Thread.sleep(TimeUnit.SECONDS.toMillis(answer.retryAfterSeconds()));
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt(); // the run is being stopped: this client stops
                } finally {
                    done.countDown();
                }
            }, "load-client-" + c);
            t.setDaemon(true);
            t.start();
        }
        done.await();
        double seconds = (System.nanoTime() - start) / 1e9;
        double[] after = batchTotals();
        long[] sorted = latencies.clone();
        Arrays.sort(sorted);
        Map<Integer, Integer> statuses = new TreeMap<>();
        byStatus.forEach((s, n) -> statuses.put(s, n.get()));
        Map<String, Integer> failed = new TreeMap<>();
        failures.forEach((s, n) -> failed.put(s, n.get()));
        double batches = after[1] - before[1];
        return new Report(clients, requests, seconds, images.get() / seconds, percentile(sorted, 0.50),
                percentile(sorted, 0.95), percentile(sorted, 0.99), statuses, failed,
                batches > 0 ? (after[0] - before[0]) / batches : Double.NaN, mean(forwardMs),
                p99OverForward(latencies, forwardMs), p99(serverMs));
    }

    /**
     * One answer: its status (-1 if none came), its batch's forward pass and the server's own time for
     * it, in ms (NaN if it did not say), and its {@code Retry-After} in seconds (0 if none).
     */
    private record Answer(int status, double forwardMs, double serverMs, long retryAfterSeconds) {
        static final Answer NONE = new Answer(-1, Double.NaN, Double.NaN, 0);
    }

    /** Sends one image; a failure to get any answer is counted in {@code failures} by its exception. */
    private Answer send(byte[] image, Map<String, AtomicInteger> failures) {
        HttpPost post = new HttpPost(base.resolve("predictions/" + model));
        post.setEntity(new ByteArrayEntity(image, ContentType.APPLICATION_OCTET_STREAM));
        authorize(post);
        try {
            return client.execute(post, response -> {
                String body = response.getEntity() == null ? ""
                        : EntityUtils.toString(response.getEntity(), StandardCharsets.UTF_8);
                if (response.getCode() == 200) {
                    return timings(body);
                }
                Header retryAfter = response.getFirstHeader("Retry-After");
                return new Answer(response.getCode(), Double.NaN, Double.NaN, seconds(retryAfter));
            });
        } catch (IOException e) {
            failures.computeIfAbsent(e.getClass().getSimpleName(), k -> new AtomicInteger()).incrementAndGet();
            return Answer.NONE;
        }
    }

    /**
     * A 200's first prediction's {@code timings_ms}: {@code inference}, the forward pass of the batch it
     * ran in, and {@code total}, the server's time for the request.
     */
    private static Answer timings(String body) {
        try {
            JsonObject timings = JsonParser.parseString(body).getAsJsonObject().getAsJsonArray("predictions")
                    .get(0).getAsJsonObject().getAsJsonObject("timings_ms");
            return new Answer(200, millis(timings.get("inference")), millis(timings.get("total")), 0);
        } catch (RuntimeException e) {
            return new Answer(200, Double.NaN, Double.NaN, 0);
        }
    }

    /** A {@code Retry-After} of whole seconds (the form this server sends), at most a minute; 0 if absent or a date. */
    private static long seconds(Header retryAfter) {
        if (retryAfter == null) {
            return 0;
        }
        try {
            return Math.min(60, Math.max(0, Long.parseLong(retryAfter.getValue().trim())));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static double millis(JsonElement value) {
        return value == null ? Double.NaN : value.getAsDouble();
    }

    private static double p99(double[] values) {
        double[] sorted = Arrays.stream(values).filter(v -> !Double.isNaN(v)).sorted().toArray();
        return sorted.length == 0 ? Double.NaN : sorted[rank(sorted.length, 0.99)];
    }

    private void authorize(HttpUriRequestBase request) {
        if (token != null) {
            request.setHeader("Authorization", "Bearer " + token);
        }
    }

    private static double mean(double[] values) {
        return Arrays.stream(values).filter(v -> !Double.isNaN(v)).average().orElse(Double.NaN);
    }

    private static double p99OverForward(long[] latencies, double[] forwardMs) {
        double[] ratios = new double[latencies.length];
        int n = 0;
        for (int i = 0; i < latencies.length; i++) {
            if (forwardMs[i] > 0) {
                ratios[n++] = latencies[i] / 1e6 / forwardMs[i];
            }
        }
        if (n == 0) {
            return Double.NaN;
        }
        double[] sorted = Arrays.copyOf(ratios, n);
        Arrays.sort(sorted);
        return sorted[rank(n, 0.99)];
    }

    /** The index of the {@code q} quantile in {@code n} sorted values (nearest rank). */
    private static int rank(int n, double q) {
        return Math.max(0, Math.min(n - 1, (int) Math.ceil(q * n) - 1));
    }

    private static double percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[rank(sorted.length, q)] / 1e6;
    }

    /** The server's batch-size sum and count for the model, or NaN if /metrics cannot be read. */
    private double[] batchTotals() {
        HttpGet get = new HttpGet(base.resolve("metrics"));
        authorize(get);
        try {
            String text = client.execute(get, response -> EntityUtils.toString(response.getEntity(), StandardCharsets.UTF_8));
            return new double[] {series(text, "repvgg_batch_size_sum"), series(text, "repvgg_batch_size_count")};
        } catch (IOException | RuntimeException e) {
            return new double[] {Double.NaN, Double.NaN};
        }
    }

    private double series(String metrics, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "\\{model=\"" + Pattern.quote(model) + "\"} (\\S+)").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Override
    public void close() throws IOException {
        client.close();
    }
}
