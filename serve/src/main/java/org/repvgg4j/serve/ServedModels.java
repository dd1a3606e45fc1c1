package org.repvgg4j.serve;

import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The models a server holds, by name, and the way a request's images go through one of them. */
final class ServedModels {

    /** Request attribute naming the served model, for metrics (never a name a client made up). */
    static final String MODEL_ATTRIBUTE = "repvgg.model";

    private final Map<String, ServedModel> byName;
    private final ServeMetrics metrics;
    private final long timeoutMs;

    ServedModels(Map<String, ServedModel> byName, ServeMetrics metrics, long timeoutMs) {
        this.byName = byName;
        this.metrics = metrics;
        this.timeoutMs = timeoutMs;
    }

    /** The model the route's {@code {model}} names, or 404 listing the served ones. */
    ServedModel of(Context ctx) {
        String name = ctx.pathParam("model");
        ServedModel model = byName.get(name);
        if (model == null) {
            throw ApiError.unknownModel(name, byName.keySet());
        }
        ctx.attribute(MODEL_ATTRIBUTE, name);
        return model;
    }

    List<ServedModel> all() {
        return List.copyOf(byName.values());
    }

    /**
     * Scores preprocessed images through the model's batcher, all or none: if the queue cannot take
     * one of them, the ones already queued are withdrawn and the request gets the 503.
     */
    List<DynamicBatcher.Outcome> score(ServedModel model, List<float[]> inputs, long startNanos,
            DynamicBatcher.Arrival arrival) {
        long deadline = startNanos + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        List<DynamicBatcher.Job> jobs = new ArrayList<>(inputs.size());
        try {
            for (float[] input : inputs) {
                jobs.add(model.batcher().submit(input, deadline));
            }
        } catch (ApiError e) {
            jobs.forEach(job -> job.outcome.cancel(false));
            throw e;
        } finally {
            arrival.close();
        }
        List<DynamicBatcher.Outcome> outcomes = new ArrayList<>(jobs.size());
        try {
            for (DynamicBatcher.Job job : jobs) {
                outcomes.add(model.batcher().await(job, timeoutMs));
            }
        } catch (RuntimeException e) {
            jobs.forEach(job -> job.outcome.cancel(false));
            throw e;
        }
        for (DynamicBatcher.Outcome o : outcomes) {
            metrics.latency(model.name(), "queue", o.queueNanos());
            metrics.latency(model.name(), "inference", o.inferenceNanos());
        }
        return outcomes;
    }

    @Override
    public String toString() {
        return String.join(", ", byName.keySet());
    }
}
