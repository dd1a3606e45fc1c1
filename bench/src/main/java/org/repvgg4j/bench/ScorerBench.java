package org.repvgg4j.bench;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.repvgg4j.infer.Scorer;
import org.repvgg4j.model.Complexity;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.reparam.EquivalenceCheck;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.Preprocessing;

/**
 * Times a deploy network behind a {@link Scorer}: its ONNX export in ONNX Runtime, or its
 * TorchScript export on libtorch. Each timed run passes a Java array in and reads the logits out,
 * as {@code predict} and {@code batch} do.
 */
final class ScorerBench {

    private ScorerBench() {}

    /** What an export of {@code net} needs beside its weights: numbered classes, ImageNet preprocessing. */
    static ModelConfig deployConfig(RepVgg net, int inputSize) {
        if (net.form() != Form.DEPLOY) {
            throw new IllegalArgumentException("only the deploy form is exported; convert the network first");
        }
        return new ModelConfig(net.spec(), Form.DEPLOY, ModelConfig.numberedClasses(net.numClasses()),
                Preprocessing.imagenet(inputSize), Map.of());
    }

    /**
     * Runs {@code warmup} untimed and {@code iterations} timed batches of one random input through
     * {@code scorer}, which holds {@code net}; the measurement is labelled {@code engine}.
     */
    static Measurement time(Scorer scorer, String engine, RepVgg net, String label, int batch, int inputSize,
            int warmup, int iterations, int threads, NDManager manager) {
        float[] input;
        try (NDManager scope = manager.newSubManager()) {
            input = EquivalenceCheck.randomInput(scope, batch, inputSize, 0).toFloatArray();
        }
        List<Double> millis = new ArrayList<>(iterations);
        long cpuStart = -1;
        for (int i = 0; i < warmup + iterations; i++) {
            if (i == warmup) {
                cpuStart = ProcessClock.cpuNanos();
            }
            long start = System.nanoTime();
            float[][] logits = scorer.logits(input, batch, inputSize);
            long elapsed = System.nanoTime() - start;
            if (logits.length != batch || logits[0].length != net.numClasses()) {
                throw new IllegalStateException("unexpected output " + logits.length + "x" + logits[0].length);
            }
            if (i >= warmup) {
                millis.add(elapsed / 1e6);
            }
        }
        long cpuEnd = ProcessClock.cpuNanos();
        Complexity cost = Complexity.of(net.spec(), net.form(), net.numClasses(), inputSize);
        return new Measurement(label, net.form().id(), engine, batch, threads, inputSize, cost.params(), cost.macs(),
                millis, ProcessClock.msPerRun(cpuStart, cpuEnd, iterations));
    }
}
