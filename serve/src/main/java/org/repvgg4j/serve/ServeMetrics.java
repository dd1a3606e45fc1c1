package org.repvgg4j.serve;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What {@code GET /metrics} reports, in Prometheus text: requests by model, route and status; latency
 * histograms per stage (queue, preprocess, inference, total); the batch-size histogram; queue depth;
 * rejected requests by reason.
 */
final class ServeMetrics {

    /** Latency buckets from 0.5 ms to 10 s: a tiny model's forward pass up to a deadline. */
    private static final Duration[] LATENCY_BUCKETS = {
        Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
        Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(50), Duration.ofMillis(100),
        Duration.ofMillis(200), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2),
        Duration.ofSeconds(5), Duration.ofSeconds(10)};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    /**
     * The meters each request records into, built once: building one per call (its tags sorted, its
     * histogram configured, then looked up in the registry) cost more than recording.
     */
    private final Map<List<String>, Timer> latencies = new ConcurrentHashMap<>();
    private final Map<List<String>, Counter> requests = new ConcurrentHashMap<>();
    private final Map<String, DistributionSummary> batchSizes = new ConcurrentHashMap<>();
    private final Map<List<String>, Counter> rejections = new ConcurrentHashMap<>();

    void request(String model, String route, int status, long totalNanos) {
        requests.computeIfAbsent(List.of(model, route, Integer.toString(status)), k -> Counter.builder("repvgg.requests")
                .description("HTTP requests answered")
                .tags("model", k.get(0), "route", k.get(1), "status", k.get(2))
                .register(registry)).increment();
        latency(model, "total", totalNanos);
    }

    /** One stage's time for one image: queue, preprocess, inference or total. */
    void latency(String model, String stage, long nanos) {
        latencies.computeIfAbsent(List.of(model, stage), k -> Timer.builder("repvgg.latency")
                .description("time per stage of a request")
                .tags("model", k.get(0), "stage", k.get(1))
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .register(registry)).record(nanos, TimeUnit.NANOSECONDS);
    }

    void batch(String model, int size) {
        batchSizes.computeIfAbsent(model, m -> DistributionSummary.builder("repvgg.batch.size")
                .description("images per forward pass")
                .tags("model", m)
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128)
                .register(registry)).record(size);
    }

    void rejected(String model, String reason) {
        rejections.computeIfAbsent(List.of(model, reason), k -> Counter.builder("repvgg.rejected")
                .description("requests refused without an answer (queue full, deadline)")
                .tags("model", k.get(0), "reason", k.get(1))
                .register(registry)).increment();
    }

    void queueDepth(String model, Supplier<Number> depth) {
        Gauge.builder("repvgg.queue.depth", depth).description("images waiting for a forward pass")
                .tags("model", model).register(registry);
    }

    String scrape() {
        return registry.scrape();
    }
}
