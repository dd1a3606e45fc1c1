package org.repvgg4j.export;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import onnx.Onnx.GraphProto;
import onnx.Onnx.ModelProto;
import onnx.Onnx.ValueInfoProto;

/**
 * The calibration pass of post-training quantization: runs the fp32 ONNX model in ONNX Runtime on
 * calibration images with the tensors to be quantized made graph outputs, and records each one's
 * range. Observing the very graph that gets quantized, rather than our DJL network, means the ranges
 * belong to exactly the tensor names the quantizer rewrites.
 */
public final class ActivationCalibrator {

    private ActivationCalibrator() {}

    /**
     * Ranges of {@code tensors} over {@code images} (each CHW float32 at the model's input size), run
     * {@code batch} at a time. {@code percentile} 100 takes each tensor's min and max; below 100 both
     * ends are clipped to that percentile of |x| (for example 99.99), trading rare outliers for finer
     * steps everywhere else.
     */
    public static Map<String, ActivationRange> calibrate(ModelProto fp32, List<String> tensors, List<float[]> images,
            int batch, double percentile, int threads) throws IOException {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("calibration needs at least one image");
        }
        if (!(percentile > 0 && percentile <= 100)) {
            throw new IllegalArgumentException("calibration percentile must be in (0, 100], got " + percentile);
        }
        GraphProto graph = fp32.getGraph();
        int size = Math.toIntExact(graph.getInput(0).getType().getTensorType().getShape().getDim(2).getDimValue());
        int imageLength = 3 * size * size;
        Map<String, ActivationHistogram> histograms = new LinkedHashMap<>();
        tensors.forEach(t -> histograms.put(t, new ActivationHistogram(t)));

        byte[] observed = observing(fp32, tensors).toByteArray();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            try (OrtSession session = env.createSession(observed, options)) {
                Set<String> outputs = new LinkedHashSet<>(tensors);
                for (int from = 0; from < images.size(); from += batch) {
                    int n = Math.min(batch, images.size() - from);
                    float[] nchw = new float[n * imageLength];
                    for (int i = 0; i < n; i++) {
                        float[] image = images.get(from + i);
                        if (image.length != imageLength) {
                            throw new IllegalArgumentException("calibration image " + (from + i) + " has "
                                    + image.length + " values; the model takes 3x" + size + "x" + size);
                        }
                        System.arraycopy(image, 0, nchw, i * imageLength, imageLength);
                    }
                    String input = graph.getInput(0).getName();
                    try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(nchw), new long[] {n, 3, size, size});
                            OrtSession.Result result = session.run(Map.of(input, in), outputs)) {
                        for (String t : tensors) {
                            OnnxTensor value = (OnnxTensor) result.get(t).orElseThrow();
                            FloatBuffer buffer = value.getFloatBuffer();
                            float[] values = new float[buffer.remaining()];
                            buffer.get(values);
                            histograms.get(t).add(values);
                        }
                    }
                }
            }
        } catch (OrtException e) {
            throw new IOException("calibration: ONNX Runtime cannot run the fp32 model (" + e.getMessage() + ")", e);
        }
        Map<String, ActivationRange> ranges = new LinkedHashMap<>();
        histograms.forEach((t, h) -> ranges.put(t, h.range(percentile)));
        return ranges;
    }

    /** The model with every one of {@code tensors} also a graph output, so a run can return it. */
    static ModelProto observing(ModelProto fp32, List<String> tensors) {
        Set<String> produced = new HashSet<>();
        fp32.getGraph().getInputList().forEach(v -> produced.add(v.getName()));
        fp32.getGraph().getNodeList().forEach(n -> produced.addAll(n.getOutputList()));
        Set<String> outputs = new HashSet<>();
        fp32.getGraph().getOutputList().forEach(v -> outputs.add(v.getName()));
        GraphProto.Builder graph = fp32.getGraph().toBuilder();
        for (String t : tensors) {
            if (!produced.contains(t)) {
                throw new IllegalArgumentException("calibration: the model has no tensor '" + t + "'");
            }
            if (!outputs.contains(t)) {
                ValueInfoProto value = OnnxExporter.tensorValue(t);
                // No shape: ONNX Runtime infers it; only the element type is declared.
                graph.addOutput(value.toBuilder().setType(value.getType().toBuilder()
                        .setTensorType(value.getType().getTensorType().toBuilder().clearShape())));
            }
        }
        return fp32.toBuilder().setGraph(graph).build();
    }
}
