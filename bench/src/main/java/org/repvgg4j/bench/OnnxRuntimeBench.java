package org.repvgg4j.bench;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import onnx.Onnx.ModelProto;
import org.repvgg4j.export.ActivationCalibrator;
import org.repvgg4j.export.OnnxExporter;
import org.repvgg4j.export.QdqQuantizer;
import org.repvgg4j.infer.OnnxRuntimeRunner;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.weights.NetworkWeights;

/**
 * Times the same deploy network as {@link ForwardBench}, exported to ONNX and run in ONNX Runtime,
 * so the two engines are compared on identical weights and inputs.
 */
public final class OnnxRuntimeBench {

    public static final String ENGINE = "onnxruntime";

    private OnnxRuntimeBench() {}

    /** The engine label of int8 measurements: the same network quantized, in ONNX Runtime. */
    public static final String ENGINE_INT8 = "onnxruntime-int8";

    /**
     * Exports {@code net} (deploy form) in memory, opens it with {@code threads} intra-op threads, and
     * runs {@code warmup} untimed and {@code iterations} timed batches. Each timed run includes
     * copying the input from a Java array into native memory (about 0.6 ms at batch 32 of 224x224) and
     * the logits out; {@link ForwardBench}'s includes the logits only, its input being a tensor
     * already.
     */
    public static Measurement run(RepVgg net, String label, int batch, int inputSize, int warmup, int iterations,
            int threads, NDManager manager) throws IOException {
        return time(fp32(net, inputSize), ENGINE, net, label, batch, inputSize, warmup, iterations, threads, manager);
    }

    /** The deploy network as fp32 ONNX, as {@link #run} times it. */
    public static byte[] fp32(RepVgg net, int inputSize) {
        return OnnxExporter.toBytes(ScorerBench.deployConfig(net, inputSize), NetworkWeights.of(net));
    }

    /**
     * The deploy network quantized to int8 on {@code calibration} images (CHW at {@code inputSize});
     * speed does not depend on the ranges, so a few images of any kind will do.
     */
    public static byte[] int8(RepVgg net, int inputSize, List<float[]> calibration, int threads) throws IOException {
        ModelProto fp32 = OnnxExporter.export(ScorerBench.deployConfig(net, inputSize), NetworkWeights.of(net));
        List<String> tensors = QdqQuantizer.activations(fp32);
        return QdqQuantizer.quantize(fp32, ActivationCalibrator.calibrate(fp32, tensors, calibration, 16, 100, threads),
                Map.of()).toByteArray();
    }

    /** Times the ONNX model {@code onnx} of {@code net}, labelled with {@code engine}, as {@link #run} does. */
    public static Measurement time(byte[] onnx, String engine, RepVgg net, String label, int batch, int inputSize,
            int warmup, int iterations, int threads, NDManager manager) throws IOException {
        if (net.form() != Form.DEPLOY) {
            throw new IllegalArgumentException("ONNX Runtime runs the deploy form only; convert the network first");
        }
        try (OnnxRuntimeRunner ort = OnnxRuntimeRunner.open(onnx, threads)) {
            return ScorerBench.time(ort, engine, net, label, batch, inputSize, warmup, iterations, threads, manager);
        }
    }

}
