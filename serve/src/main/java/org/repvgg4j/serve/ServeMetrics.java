package org.repvgg4j.serve;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
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

    void request(String model, String route, int status, long totalNanos) {
        Counter.builder("repvgg.requests").description("HTTP requests answered")
                .tags("model", model, "route", route, "status", Integer.toString(status))
                .register(registry).increment();
        latency(model, "total", totalNanos);
    }

    /** One stage's time for one image: queue, preprocess, inference or total. */
    void latency(String model, String stage, long nanos) {
        Timer.builder("repvgg.latency").description("time per stage of a request")
                .tags("model", model, "stage", stage)
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .register(registry).record(Duration.ofNanos(nanos));
    }

    void batch(String model, int size) {
        DistributionSummary.builder("repvgg.batch.size").description("images per forward pass")
                .tags("model", model)
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128)
                .register(registry).record(size);
    }

    void rejected(String model, String reason) {
        Counter.builder("repvgg.rejected").description("requests refused without an answer (queue full, deadline)")
                .tags("model", model, "reason", reason)
                .register(registry).increment();
    }

    void queueDepth(String model, Supplier<Number> depth) {
        Gauge.builder("repvgg.queue.depth", depth).description("images waiting for a forward pass")
                .tags("model", model).register(registry);
    }

    String scrape() {
        return registry.scrape();
    }
}
