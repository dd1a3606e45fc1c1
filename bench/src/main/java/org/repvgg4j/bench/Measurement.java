package org.repvgg4j.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Timed forward passes of one network at one batch size: the wall time of each run, and what
 * follows from it given the network's multiply-adds per image.
 */
public record Measurement(String model, String form, String engine, int batch, int threads, int inputSize,
        long params, long macsPerImage, List<Double> millis, double cpuMsPerRun) {

    public Measurement {
        millis = List.copyOf(millis);
        if (millis.isEmpty()) {
            throw new IllegalArgumentException("no timed runs");
        }
    }

    /** Wall times only, for runs whose CPU time was not taken. */
    public Measurement(String model, String form, String engine, int batch, int threads, int inputSize,
            long params, long macsPerImage, List<Double> millis) {
        this(model, form, engine, batch, threads, inputSize, params, macsPerImage, millis, Double.NaN);
    }

    private List<Double> sorted() {
        List<Double> s = new ArrayList<>(millis);
        Collections.sort(s);
        return s;
    }

    public double medianMs() {
        List<Double> s = sorted();
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    public double minMs() {
        return sorted().get(0);
    }

    public double maxMs() {
        return sorted().get(millis.size() - 1);
    }

    /** (max - min) / median: how much the runs disagreed. */
    public double spread() {
        return (maxMs() - minMs()) / medianMs();
    }

    public double imagesPerSecond() {
        return batch * 1000.0 / medianMs();
    }

    /** Achieved rate counting a multiply-add as two floating-point operations. */
    public double gflops() {
        return 2.0 * macsPerImage * batch / (medianMs() / 1000.0) / 1e9;
    }
}
