package org.repvgg4j.serve;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Load on a running server: {@code clients} concurrent clients, each posting the next image to
 * {@code POST /predictions/{model}} as soon as its last answer came, until {@code requests} have been
 * sent; then it stops. Reports throughput, latency percentiles, answers by status and the mean batch
 * size the server formed meanwhile (from its {@code /metrics}).
 */
public final class LoadGenerator {

    /** What a run measured. Latencies in milliseconds; {@code meanBatch} NaN if the server's metrics were unreadable. */
    public record Report(int clients, int requests, double seconds, double imagesPerSecond, double p50, double p95,
            double p99, Map<Integer, Integer> byStatus, Map<String, Integer> failures, double meanBatch) {

        public int ok() {
            return byStatus.getOrDefault(200, 0);
        }

        @Override
        public String toString() {
            return String.format("%d clients, %d requests in %.2f s: %.1f images/s; latency ms p50 %.2f p95 %.2f p99 %.2f;"
                    + " status %s%s; mean batch %.2f", clients, requests, seconds, imagesPerSecond, p50, p95, p99, byStatus,
                    failures.isEmpty() ? "" : "; failed " + failures, meanBatch);
        }
    }

    private final URI base;
    private final String model;
    private final String token;
    private final List<byte[]> images;
    private final HttpClient client;

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
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    public Report run(int clients, int requests) throws InterruptedException {
        double[] before = batchTotals();
        AtomicInteger next = new AtomicInteger();
        long[] latencies = new long[requests];
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
                        int status = send(this.images.get(i % this.images.size()), failures);
                        latencies[i] = System.nanoTime() - t0;
                        byStatus.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
                        if (status == 200) {
                            images.incrementAndGet();
                        }
                    }
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
                batches > 0 ? (after[0] - before[0]) / batches : Double.NaN);
    }

    /** The status of one prediction request, or -1 if no answer came (the reason counted in {@code failures}). */
    private int send(byte[] image, Map<String, AtomicInteger> failures) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve("predictions/" + model))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(image));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        try {
            return client.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            failures.computeIfAbsent(e.getClass().getSimpleName(), k -> new AtomicInteger()).incrementAndGet();
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static double percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }

    /** The server's batch-size sum and count for the model, or NaN if /metrics cannot be read. */
    private double[] batchTotals() {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve("metrics")).GET();
            if (token != null) {
                request.header("Authorization", "Bearer " + token);
            }
            String text = client.send(request.build(), HttpResponse.BodyHandlers.ofString()).body();
            return new double[] {series(text, "repvgg_batch_size_sum"), series(text, "repvgg_batch_size_count")};
        } catch (IOException | InterruptedException e) {
            return new double[] {Double.NaN, Double.NaN};
        }
    }

    private double series(String metrics, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "\\{model=\"" + Pattern.quote(model) + "\"} (\\S+)").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}
