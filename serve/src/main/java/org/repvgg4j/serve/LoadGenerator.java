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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
 * sent; then it stops. Reports throughput, latency percentiles, answers by status, and from each
 * answer's own timings the mean batch size the server formed and the forward pass of the batch each
 * image rode in, so latency can be read as a multiple of it. A
 * client that gets a 503 asks again at once, or, with {@code honourRetryAfter}, after the seconds its
 * {@code Retry-After} says, as a well-behaved client would.
 */
public final class LoadGenerator implements AutoCloseable {

    /** Connections kept open to the server: more than any sensible number of clients. */
    private static final int MAX_CONNECTIONS = 4096;

    /**
     * What a run measured, over its measured requests only. Latencies in milliseconds; {@code seconds}
     * from the first measured request sent to the last one answered; {@code meanBatch}: images per
     * forward pass as the answers' batch sizes say (NaN if none said). {@code forwardMs}: the mean
     * forward pass of the batch each answered image rode in (a batch of n counted n times);
     * {@code p99OverForward}: the 99th percentile over answered images of
     * latency divided by that image's own batch's forward pass (NaN if no answer said);
     * {@code serverP99}: the 99th percentile of the server's own time per answered request (its
     * {@code timings_ms.total}, from the request's arrival to its answer), so that the part of the
     * latency spent outside the server (sending, reading, waiting for a core) shows as the difference.
     */
    public record Report(int clients, int requests, double seconds, double imagesPerSecond, double p50, double p95,
            double p99, Map<Integer, Integer> byStatus, Map<String, Integer> failures, double meanBatch,
            double forwardMs, double p99OverForward, double serverP99, List<Sample> samples) {

        public int ok() {
            return byStatus.getOrDefault(200, 0);
        }

        @Override
        public String toString() {
            return String.format("%d clients, %d requests in %.2f s: %.1f images/s; latency ms p50 %.2f p95 %.2f p99 %.2f;"
                    + " status %s%s; mean batch %.2f; forward per batch %.2f ms; p99 / forward %.2f;"
                    + " p99 of latency / own batch's forward %.2f; server's own p99 %.2f ms",
                    clients, requests, seconds, imagesPerSecond, p50, p95, p99, byStatus,
                    failures.isEmpty() ? "" : "; failed " + failures, meanBatch, forwardMs, p99 / forwardMs,
                    p99OverForward, serverP99);
        }
    }

    /**
     * One request as the client saw it and as its answer said: when it was sent (ms after the run began),
     * its latency, its status (-1: no answer), and from a 200's {@code timings_ms} the server's time, the
     * wait in the queue, the forward pass of its batch (ms) and that batch's size (NaN and 0 otherwise).
     */
    public record Sample(int client, double sentMs, double latencyMs, int status, double serverMs, double queueMs,
            double inferenceMs, int batch) {

        public static final String CSV_HEADER =
                "run,clients,client,sent_ms,latency_ms,status,server_ms,queue_ms,inference_ms,batch";

        /** The sample as a CSV line under {@link #CSV_HEADER}, for the {@code run}th run, of {@code clients} clients. */
        public String csv(int run, int clients) {
            return String.format(java.util.Locale.ROOT, "%d,%d,%d,%.3f,%.3f,%d,%.3f,%.3f,%.3f,%d", run, clients, client,
                    sentMs, latencyMs, status, serverMs, queueMs, inferenceMs, batch);
        }
    }

    private final URI base;
    private final String model;
    private final String token;
    private final List<byte[]> images;
    private final CloseableHttpClient client;

    public LoadGenerator(URI base, String model, String token, List<Path> images) throws IOException {
        this(base, model, token, read(images).toArray(byte[][]::new));
    }

    /** Load of encoded images held in memory. */
    static LoadGenerator ofEncoded(URI base, String model, String token, List<byte[]> images) {
        return new LoadGenerator(base, model, token, images.toArray(byte[][]::new));
    }

    private static List<byte[]> read(List<Path> images) throws IOException {
        List<byte[]> bytes = new ArrayList<>(images.size());
        for (Path image : images) {
            bytes.add(Files.readAllBytes(image));
        }
        return bytes;
    }

    private LoadGenerator(URI base, String model, String token, byte[][] images) {
        if (images.length == 0) {
            throw new IllegalArgumentException("no images to send");
        }
        this.base = base;
        this.model = model;
        this.token = token;
        this.images = List.of(images);
        PoolingHttpClientConnectionManager connections = PoolingHttpClientConnectionManagerBuilder.create()
                .setMaxConnTotal(MAX_CONNECTIONS).setMaxConnPerRoute(MAX_CONNECTIONS)
                .setDefaultConnectionConfig(ConnectionConfig.custom()
                        .setConnectTimeout(Timeout.ofSeconds(10)).setSocketTimeout(Timeout.ofMinutes(5)).build())
                .build();
        this.client = HttpClients.custom().setConnectionManager(connections).disableAutomaticRetries()
                .disableCookieManagement().build();
    }

    /**
     * {@code clients} clients send {@code warmup} requests and then {@code requests} more, without a
     * pause: only the latter are measured. The clients all start at once, and their first requests meet
     * a server (and a client JVM) that has not yet run those exact paths; with the warm-up in the same
     * run that start is over before anything is measured, and the clients measured are the ones already
     * running. With {@code honourRetryAfter} each client waits as a 503's {@code Retry-After} says.
     */
    public Report run(int clients, int warmup, int requests, boolean honourRetryAfter) throws InterruptedException {
        int total = warmup + requests;
        AtomicInteger next = new AtomicInteger();
        long[] sent = new long[requests];
        long[] latencies = new long[requests];
        Answer[] answers = new Answer[requests];
        int[] clientOf = new int[requests];
        CountDownLatch done = new CountDownLatch(clients);
        for (int c = 0; c < clients; c++) {
            int client = c;
            Thread t = new Thread(() -> {
                try {
                    for (int i = next.getAndIncrement(); i < total; i = next.getAndIncrement()) {
                        long t0 = System.nanoTime();
                        Answer answer = send(this.images.get(i % this.images.size()));
                        if (i >= warmup) {
                            int j = i - warmup;
                            sent[j] = t0;
                            latencies[j] = System.nanoTime() - t0;
                            answers[j] = answer;
                            clientOf[j] = client;
                        }
                        if (answer.status() != 200 && honourRetryAfter && answer.retryAfterSeconds() > 0) {
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
        return report(clients, requests, sent, latencies, answers, clientOf);
    }

    /**
     * {@code clients} clients send until {@code seconds} have passed (each finishes the request it is in);
     * the answers by status, -1 for none. Nothing else is measured: this is load for its own sake.
     */
    Map<Integer, Integer> sendFor(int clients, double seconds) throws InterruptedException {
        long until = System.nanoTime() + (long) (seconds * 1e9);
        Map<Integer, Integer> byStatus = new java.util.concurrent.ConcurrentHashMap<>();
        AtomicInteger next = new AtomicInteger();
        List<Thread> threads = new ArrayList<>(clients);
        for (int c = 0; c < clients; c++) {
            Thread t = new Thread(() -> {
                while (System.nanoTime() < until) {
                    Answer answer = send(images.get(next.getAndIncrement() % images.size()));
                    byStatus.merge(answer.status(), 1, Integer::sum);
                }
            }, "warm-up-client-" + c);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        return new TreeMap<>(byStatus);
    }

    private static Report report(int clients, int requests, long[] sent, long[] latencies, Answer[] answers,
            int[] clientOf) {
        int n = 0;
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (int j = 0; j < requests; j++) {
            if (answers[j] != null) {
                n++;
                first = Math.min(first, sent[j]);
                last = Math.max(last, sent[j] + latencies[j]);
            }
        }
        double seconds = n == 0 ? 0 : (last - first) / 1e9;
        Map<Integer, Integer> statuses = new TreeMap<>();
        Map<String, Integer> failed = new TreeMap<>();
        List<Sample> samples = new ArrayList<>(n);
        long[] measured = new long[n];
        double[] forwardMs = new double[n];
        double[] serverMs = new double[n];
        int ok = 0;
        double batches = 0;
        int k = 0;
        for (int j = 0; j < requests; j++) {
            Answer a = answers[j];
            if (a == null) {
                continue;
            }
            statuses.merge(a.status(), 1, Integer::sum);
            if (a.failure() != null) {
                failed.merge(a.failure(), 1, Integer::sum);
            }
            if (a.status() == 200) {
                ok++;
                if (a.batch() > 0) {
                    batches += 1.0 / a.batch(); // a batch of b answers b images: each is 1/b of it
                }
            }
            measured[k] = latencies[j];
            forwardMs[k] = a.forwardMs();
            serverMs[k] = a.serverMs();
            k++;
            samples.add(new Sample(clientOf[j], (sent[j] - first) / 1e6, latencies[j] / 1e6, a.status(), a.serverMs(),
                    a.queueMs(), a.forwardMs(), a.batch()));
        }
        long[] sorted = measured.clone();
        Arrays.sort(sorted);
        return new Report(clients, requests, seconds, seconds > 0 ? ok / seconds : Double.NaN, percentile(sorted, 0.50),
                percentile(sorted, 0.95), percentile(sorted, 0.99), statuses, failed,
                batches > 0 ? ok / batches : Double.NaN, mean(forwardMs), p99OverForward(measured, forwardMs),
                p99(serverMs), samples);
    }

    /**
     * One answer: its status (-1 if none came, {@code failure} then naming the exception); its batch's
     * forward pass, the server's own time for it and its wait in the queue, in ms (NaN if it did not
     * say), and its batch's size (0 if not said); its {@code Retry-After} in seconds (0 if none).
     */
    private record Answer(int status, double forwardMs, double serverMs, double queueMs, int batch,
            long retryAfterSeconds, String failure) {

        /** An answer that gave no timings: a refusal, or a 200 whose body did not say. */
        static Answer bare(int status, long retryAfterSeconds) {
            return new Answer(status, Double.NaN, Double.NaN, Double.NaN, 0, retryAfterSeconds, null);
        }

        static Answer none(IOException e) {
            return new Answer(-1, Double.NaN, Double.NaN, Double.NaN, 0, 0, e.getClass().getSimpleName());
        }
    }

    /** Sends one image; no answer at all (the connection failed) is {@link Answer#none}. */
    private Answer send(byte[] image) {
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
                return Answer.bare(response.getCode(), seconds(retryAfter));
            });
        } catch (IOException e) {
            return Answer.none(e);
        }
    }

    /**
     * A 200's first prediction's {@code timings_ms} ({@code inference}, the forward pass of the batch it
     * ran in; {@code total}, the server's time for the request; {@code queue}) and its {@code batch_size}.
     */
    private static Answer timings(String body) {
        try {
            JsonObject prediction = JsonParser.parseString(body).getAsJsonObject().getAsJsonArray("predictions")
                    .get(0).getAsJsonObject();
            JsonObject timings = prediction.getAsJsonObject("timings_ms");
            JsonElement batch = prediction.get("batch_size");
            return new Answer(200, millis(timings.get("inference")), millis(timings.get("total")),
                    millis(timings.get("queue")), batch == null ? 0 : batch.getAsInt(), 0, null);
        } catch (RuntimeException e) {
            return Answer.bare(200, 0);
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

    @Override
    public void close() throws IOException {
        client.close();
    }
}
