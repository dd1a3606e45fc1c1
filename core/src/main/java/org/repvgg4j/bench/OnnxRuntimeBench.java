package org.repvgg4j.bench;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.repvgg4j.export.OnnxExporter;
import org.repvgg4j.infer.OnnxRuntimeRunner;
import org.repvgg4j.model.Complexity;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.reparam.EquivalenceCheck;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.NetworkWeights;
import org.repvgg4j.weights.Preprocessing;

/**
 * Times the same deploy network as {@link ForwardBench}, exported to ONNX and run in ONNX Runtime,
 * so the two engines are compared on identical weights and inputs.
 */
public final class OnnxRuntimeBench {

    public static final String ENGINE = "onnxruntime";

    private OnnxRuntimeBench() {}

    /**
     * Exports {@code net} (deploy form) in memory, opens it with {@code threads} intra-op threads, and
     * runs {@code warmup} untimed and {@code iterations} timed batches; each timed run includes
     * copying the input in and the logits out, as {@link ForwardBench}'s does.
     */
    public static Measurement run(RepVgg net, String label, int batch, int inputSize, int warmup, int iterations,
            int threads, NDManager manager) throws IOException {
        if (net.form() != Form.DEPLOY) {
            throw new IllegalArgumentException("ONNX Runtime runs the deploy form only; convert the network first");
        }
        ModelConfig config = new ModelConfig(net.spec(), Form.DEPLOY, ModelConfig.numberedClasses(net.numClasses()),
                Preprocessing.imagenet(inputSize), Map.of());
        byte[] onnx = OnnxExporter.toBytes(config, NetworkWeights.of(net));
        float[] input;
        try (NDManager scope = manager.newSubManager()) {
            input = EquivalenceCheck.randomInput(scope, batch, inputSize, 0).toFloatArray();
        }
        List<Double> millis = new ArrayList<>(iterations);
        long cpuStart = -1;
        long cpuEnd;
        try (OnnxRuntimeRunner ort = OnnxRuntimeRunner.open(onnx, threads)) {
            for (int i = 0; i < warmup + iterations; i++) {
                if (i == warmup) {
                    cpuStart = ProcessClock.cpuNanos();
                }
                long start = System.nanoTime();
                float[][] logits = ort.run(input, batch);
                long elapsed = System.nanoTime() - start;
                if (logits.length != batch || logits[0].length != net.numClasses()) {
                    throw new IllegalStateException("unexpected output " + logits.length + "x" + logits[0].length);
                }
                if (i >= warmup) {
                    millis.add(elapsed / 1e6);
                }
            }
            cpuEnd = ProcessClock.cpuNanos();
        }
        Complexity cost = Complexity.of(net.spec(), net.form(), net.numClasses(), inputSize);
        return new Measurement(label, net.form().id(), ENGINE, batch, threads, inputSize, cost.params(), cost.macs(),
                millis, ProcessClock.msPerRun(cpuStart, cpuEnd, iterations));
    }
}
