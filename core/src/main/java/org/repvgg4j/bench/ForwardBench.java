package org.repvgg4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import org.repvgg4j.model.Complexity;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.reparam.EquivalenceCheck;

/** Times inference-mode forward passes of a network on DJL's PyTorch engine, after a warm-up. */
public final class ForwardBench {

    public static final String ENGINE = "pytorch";

    private ForwardBench() {}

    /**
     * Runs {@code warmup} untimed and {@code iterations} timed forward passes on a random batch.
     * Each timed pass includes reading the logits back to Java, so lazy work is not missed.
     */
    public static Measurement run(RepVgg net, String label, int batch, int inputSize, int warmup, int iterations,
            NDManager manager) {
        List<Double> millis = new ArrayList<>(iterations);
        try (NDManager scope = manager.newSubManager()) {
            NDArray input = EquivalenceCheck.randomInput(scope, batch, inputSize, 0);
            for (int i = 0; i < warmup + iterations; i++) {
                try (NDManager step = scope.newSubManager()) {
                    NDArray x = input.duplicate();
                    x.attach(step);
                    long start = System.nanoTime();
                    float[] logits = net.infer(x).toFloatArray();
                    long elapsed = System.nanoTime() - start;
                    if (logits.length != batch * net.numClasses()) {
                        throw new IllegalStateException("unexpected output size " + logits.length);
                    }
                    if (i >= warmup) {
                        millis.add(elapsed / 1e6);
                    }
                }
            }
        }
        Complexity cost = Complexity.of(net.spec(), net.form(), net.numClasses(), inputSize);
        return new Measurement(label, net.form().id(), ENGINE, batch, JniUtils.getNumThreads(), inputSize,
                cost.params(), cost.macs(), millis);
    }
}
