package org.repvgg4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.reparam.EquivalenceCheck;

/** Times inference-mode forward passes of a network on DJL's PyTorch engine, after a warm-up. */
public final class ForwardBench {

    public static final String ENGINE = "pytorch";

    private ForwardBench() {}

    public static Measurement run(RepVgg net, String label, int batch, int inputSize, int warmup, int iterations,
            NDManager manager) {
        return run(TimedNetwork.of(net, label, inputSize), batch, inputSize, warmup, iterations, manager);
    }

    /**
     * Runs {@code warmup} untimed and {@code iterations} timed forward passes on a random batch.
     * Each timed pass includes reading the logits back to Java, so lazy work is not missed.
     */
    public static Measurement run(TimedNetwork net, int batch, int inputSize, int warmup, int iterations,
            NDManager manager) {
        List<Double> millis = new ArrayList<>(iterations);
        long cpuStart = -1;
        long cpuEnd;
        try (NDManager scope = manager.newSubManager()) {
            NDArray input = EquivalenceCheck.randomInput(scope, batch, inputSize, 0);
            for (int i = 0; i < warmup + iterations; i++) {
                if (i == warmup) {
                    cpuStart = ProcessClock.cpuNanos();
                }
                double ms = timeOnce(net, input, scope);
                if (i >= warmup) {
                    millis.add(ms);
                }
            }
            cpuEnd = ProcessClock.cpuNanos();
        }
        return new Measurement(net.model(), net.form(), ENGINE, batch, JniUtils.getNumThreads(), inputSize,
                net.params(), net.macsPerImage(), millis, ProcessClock.msPerRun(cpuStart, cpuEnd, iterations));
    }

    /**
     * Pushes {@code images} random images through the network in batches of {@code batch} (the last
     * one smaller), one pass after a one-batch warm-up: what a user waits for on a data set of that
     * size, model only (no decoding or resizing).
     */
    public static DatasetPass pass(TimedNetwork net, int images, int batch, int inputSize, NDManager manager) {
        double totalMs = 0;
        try (NDManager scope = manager.newSubManager()) {
            NDArray full = EquivalenceCheck.randomInput(scope, batch, inputSize, 0);
            timeOnce(net, full, scope);
            NDArray last = images % batch == 0 ? full : full.get("0:" + images % batch);
            for (int done = 0; done < images; done += batch) {
                totalMs += timeOnce(net, images - done >= batch ? full : last, scope);
            }
        }
        return new DatasetPass(net.model(), net.form(), ENGINE, batch, JniUtils.getNumThreads(), inputSize, images,
                totalMs / 1000);
    }

    private static double timeOnce(TimedNetwork net, NDArray input, NDManager manager) {
        try (NDManager step = manager.newSubManager()) {
            NDArray x = input.duplicate();
            x.attach(step);
            long start = System.nanoTime();
            float[] logits = net.infer(x).toFloatArray();
            long elapsed = System.nanoTime() - start;
            if (logits.length != input.getShape().get(0) * net.numClasses()) {
                throw new IllegalStateException("unexpected output size " + logits.length);
            }
            return elapsed / 1e6;
        }
    }
}
