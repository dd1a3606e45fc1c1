package org.repvgg4j.serve;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a {@link ModelServer} runs: the models it serves by name, where it listens, the bearer token
 * (null: none), batching, queue, deadline and input limits, the optional batch results it shows, and the
 * engine options every model is loaded with ({@code engine} null: the fastest measured for this CPU).
 * {@code instances}: copies of each network that run batches side by side, each with {@code threads}
 * threads per operator (0: the processors shared out between the copies). {@code warmupSeconds}: how
 * long each model is sent requests by the server itself before it says it is ready (0: not at all).
 */
public record ServeOptions(Map<String, Path> models, String host, int port, String token, int maxBatch,
        int maxDelayMs, int maxQueue, long timeoutMs, long maxBodyBytes, long maxPixels, Path results, Path resultsList,
        String engine, int threads, int instances, double warmupSeconds) {

    /** The default queue holds four full batches; see {@link #defaultQueue}. */
    public static final int QUEUE_BATCHES = 4;

    public ServeOptions {
        models = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(models)); // in the order given
        if (models.isEmpty()) {
            throw new IllegalArgumentException("give at least one --model NAME=DIR");
        }
        for (String name : models.keySet()) {
            if (!name.matches("[A-Za-z0-9_.-]+")) {
                throw new IllegalArgumentException("model name '" + name + "': use letters, digits, '.', '_' or '-'");
            }
        }
        positive("--max-batch", maxBatch);
        positive("--instances", instances);
        positive("--max-queue", maxQueue);
        positive("--timeout-ms", timeoutMs);
        positive("--max-body-mb", maxBodyBytes);
        positive("--max-pixels", maxPixels);
        if (maxDelayMs < 0) {
            throw new IllegalArgumentException("--max-delay-ms must be >= 0, got " + maxDelayMs);
        }
        if (!(warmupSeconds >= 0)) {
            throw new IllegalArgumentException("--warmup-seconds must be >= 0, got " + warmupSeconds);
        }
        if ((results == null) != (resultsList == null)) {
            throw new IllegalArgumentException("--results and --list go together: the batch output and its labelled list");
        }
    }

    private static void positive(String option, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(option + " must be > 0, got " + value);
        }
    }

    /**
     * Four batches: a request at the back waits about four forward passes, which at the batch sizes
     * we serve stays within a client's patience and the deadline, and the queued tensors (3 x size x size
     * floats each) stay a bounded, small amount of memory. A deeper queue only turns overload into
     * latency; clients told 503 + Retry-After can back off or go to another replica.
     */
    public static int defaultQueue(int maxBatch) {
        return QUEUE_BATCHES * maxBatch;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Options with the CLI's defaults; set what differs. */
    public static final class Builder {
        private final Map<String, Path> models = new LinkedHashMap<>();
        private String host = "127.0.0.1";
        private int port = 8080;
        private String token;
        private int maxBatch = 32;
        private int maxDelayMs = 5;
        private Integer maxQueue;
        private long timeoutMs = 10_000;
        private double warmupSeconds;
        private long maxBodyBytes = 16L << 20;
        private long maxPixels = 40_000_000L;
        private Path results;
        private Path resultsList;
        private String engine;
        private int threads;
        private int instances = 1;

        public Builder model(String name, Path dir) {
            if (models.put(name, dir) != null) {
                throw new IllegalArgumentException("model name '" + name + "' is given twice");
            }
            return this;
        }

        public Builder host(String host) { this.host = host; return this; }
        public Builder port(int port) { this.port = port; return this; }
        public Builder token(String token) { this.token = token; return this; }
        public Builder maxBatch(int maxBatch) { this.maxBatch = maxBatch; return this; }
        public Builder maxDelayMs(int maxDelayMs) { this.maxDelayMs = maxDelayMs; return this; }
        public Builder maxQueue(Integer maxQueue) { this.maxQueue = maxQueue; return this; }
        public Builder timeoutMs(long timeoutMs) { this.timeoutMs = timeoutMs; return this; }
        public Builder maxBodyBytes(long maxBodyBytes) { this.maxBodyBytes = maxBodyBytes; return this; }
        public Builder maxPixels(long maxPixels) { this.maxPixels = maxPixels; return this; }
        public Builder results(Path results, Path list) { this.results = results; this.resultsList = list; return this; }
        public Builder engine(String engine) { this.engine = engine; return this; }
        public Builder threads(int threads) { this.threads = threads; return this; }
        public Builder instances(int instances) { this.instances = instances; return this; }
        public Builder warmupSeconds(double warmupSeconds) { this.warmupSeconds = warmupSeconds; return this; }

        public ServeOptions build() {
            return new ServeOptions(models, host, port, token, maxBatch, maxDelayMs,
                    maxQueue != null ? maxQueue : defaultQueue(maxBatch), timeoutMs, maxBodyBytes, maxPixels, results,
                    resultsList, engine, threads, instances, warmupSeconds);
        }
    }
}
