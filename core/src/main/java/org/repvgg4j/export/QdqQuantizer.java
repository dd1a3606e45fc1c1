package org.repvgg4j.export;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import onnx.Onnx.GraphProto;
import onnx.Onnx.ModelProto;
import onnx.Onnx.NodeProto;
import onnx.Onnx.StringStringEntryProto;
import onnx.Onnx.TensorProto;

/**
 * Rewrites an fp32 ONNX model of ours into the QDQ form of static int8 quantization, which ONNX
 * Runtime fuses into integer kernels (QLinearConv, on VNNI where the CPU has it):
 * <ul>
 *   <li>activations: each tensor in the calibrated ranges passes through QuantizeLinear (uint8, one
 *       scale and zero point per tensor) and DequantizeLinear before its consumers;</li>
 *   <li>the weights of every Conv that reads such a tensor: int8, symmetric, one scale per output
 *       channel (axis 0) - RepVGG's fused kernels differ in range from channel to channel by orders
 *       of magnitude, which is why one scale per tensor loses accuracy;</li>
 *   <li>that Conv's bias: int32 at scale input_scale x weight_scale[channel], as the integer kernel
 *       accumulates it.</li>
 * </ul>
 * Everything else (pooling, the linear head, SE gates) stays fp32. Pure: no I/O, no engine.
 */
public final class QdqQuantizer {

    /** Key of the model's {@code metadata_props} saying how its numbers are stored: {@code int8}. */
    public static final String META_PRECISION = OnnxExporter.META_PRECISION;

    private static final String QUANTIZED = "_quantized";
    private static final String DEQUANTIZED = "_dequantized";

    private QdqQuantizer() {}

    /**
     * The tensors worth quantizing in one of our exports: the image input and every ReLU output. A
     * ReLU followed by a uint8 QuantizeLinear with zero point 0 clamps at 0 already, so ONNX Runtime
     * drops it and the preceding Conv writes uint8 directly.
     */
    public static List<String> activations(ModelProto fp32) {
        List<String> tensors = new ArrayList<>();
        tensors.add(fp32.getGraph().getInput(0).getName());
        for (NodeProto n : fp32.getGraph().getNodeList()) {
            if (n.getOpType().equals("Relu")) {
                tensors.add(n.getOutput(0));
            }
        }
        return tensors;
    }

    /**
     * The QDQ model: {@code ranges} gives the activation tensors to quantize and their calibrated
     * ranges; {@code metadata} is added to the model's {@code metadata_props} (with
     * {@code precision = int8}).
     */
    public static ModelProto quantize(ModelProto fp32, Map<String, ActivationRange> ranges,
            Map<String, String> metadata) {
        GraphProto source = fp32.getGraph();
        Map<String, TensorProto> initializers = new LinkedHashMap<>();
        source.getInitializerList().forEach(t -> initializers.put(t.getName(), t));
        Set<String> graphOutputs = new HashSet<>();
        source.getOutputList().forEach(v -> graphOutputs.add(v.getName()));
        Map<String, Integer> uses = new HashMap<>();
        source.getNodeList().forEach(n -> n.getInputList().forEach(i -> uses.merge(i, 1, Integer::sum)));
        for (String t : ranges.keySet()) {
            if (graphOutputs.contains(t)) {
                throw new IllegalArgumentException("tensor '" + t + "' is a graph output; outputs stay fp32");
            }
        }

        GraphProto.Builder graph = source.toBuilder().clearNode().clearInitializer();
        Set<String> replacedInitializers = new HashSet<>();
        String input = source.getInput(0).getName();
        if (ranges.containsKey(input)) {
            addQuantizePair(graph, ranges.get(input));
        }
        for (NodeProto node : source.getNodeList()) {
            NodeProto.Builder rewritten = node.toBuilder().clearInput();
            for (String in : node.getInputList()) {
                rewritten.addInput(ranges.containsKey(in) ? in + DEQUANTIZED : in);
            }
            if (node.getOpType().equals("Conv") && ranges.containsKey(node.getInput(0))) {
                float inputScale = ranges.get(node.getInput(0)).scale();
                String weight = node.getInput(1);
                TensorProto w = initializer(initializers, weight, node);
                float[] weightScales = addWeight(graph, w);
                rewritten.setInput(1, weight + DEQUANTIZED);
                countReplaced(replacedInitializers, uses, weight);
                if (node.getInputCount() > 2) {
                    String bias = node.getInput(2);
                    addBias(graph, initializer(initializers, bias, node), inputScale, weightScales);
                    rewritten.setInput(2, bias + DEQUANTIZED);
                    countReplaced(replacedInitializers, uses, bias);
                }
            }
            graph.addNode(rewritten);
            for (String out : node.getOutputList()) {
                if (ranges.containsKey(out)) {
                    addQuantizePair(graph, ranges.get(out));
                }
            }
        }
        initializers.forEach((name, t) -> {
            if (!replacedInitializers.contains(name)) {
                graph.addInitializer(t);
            }
        });

        ModelProto.Builder model = fp32.toBuilder().setGraph(graph)
                .setDocString(fp32.getDocString() + "; int8 QDQ (per-channel weights, per-tensor uint8 activations)");
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(META_PRECISION, Precision.INT8.id());
        meta.putAll(metadata);
        meta.forEach((k, v) -> model.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        return model.build();
    }

    /** A weight shared with another node would need both rewritten; our graphs never share, so refuse. */
    private static void countReplaced(Set<String> replaced, Map<String, Integer> uses, String name) {
        if (uses.getOrDefault(name, 0) != 1) {
            throw new IllegalArgumentException("initializer '" + name + "' is used by " + uses.get(name)
                    + " nodes; only weights of one Conv can be quantized");
        }
        replaced.add(name);
    }

    private static TensorProto initializer(Map<String, TensorProto> initializers, String name, NodeProto node) {
        TensorProto t = initializers.get(name);
        if (t == null || t.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
            throw new IllegalArgumentException("Conv '" + node.getName() + "': input '" + name
                    + "' is not a float32 initializer, so it cannot be quantized");
        }
        return t;
    }

    /** QuantizeLinear to uint8 and DequantizeLinear back, both on the tensor's calibrated scale. */
    private static void addQuantizePair(GraphProto.Builder graph, ActivationRange range) {
        String t = range.tensor();
        graph.addInitializer(OnnxExporter.floatTensor(t + ".scale", new float[] {range.scale()}));
        graph.addInitializer(OnnxExporter.rawTensor(t + ".zero_point", TensorProto.DataType.UINT8_VALUE,
                new byte[] {(byte) range.zeroPoint()}));
        graph.addNode(OnnxExporter.node("QuantizeLinear", t + ".quantize",
                List.of(t, t + ".scale", t + ".zero_point"), t + QUANTIZED));
        graph.addNode(OnnxExporter.node("DequantizeLinear", t + ".dequantize",
                List.of(t + QUANTIZED, t + ".scale", t + ".zero_point"), t + DEQUANTIZED));
    }

    /** The weight as int8 with one symmetric scale per output channel; returns the scales. */
    private static float[] addWeight(GraphProto.Builder graph, TensorProto weight) {
        float[] w = floats(weight);
        int channels = Math.toIntExact(weight.getDims(0));
        int perChannel = w.length / channels;
        float[] scales = new float[channels];
        byte[] q = new byte[w.length];
        for (int c = 0; c < channels; c++) {
            float largest = 0;
            for (int i = c * perChannel; i < (c + 1) * perChannel; i++) {
                largest = Math.max(largest, Math.abs(w[i]));
            }
            // [-127, 127], not -128: symmetric, so 0 is exact and negation never overflows.
            scales[c] = largest > 0 ? largest / 127f : 1f;
            for (int i = c * perChannel; i < (c + 1) * perChannel; i++) {
                q[i] = (byte) Math.max(-127, Math.min(127, Math.round(w[i] / scales[c])));
            }
        }
        long[] dims = weight.getDimsList().stream().mapToLong(Long::longValue).toArray();
        addPerChannel(graph, weight.getName(), TensorProto.DataType.INT8_VALUE, q, dims, scales, new byte[channels]);
        return scales;
    }

    /** The bias as int32 on the scale the integer accumulator has: input scale x weight scale. */
    private static void addBias(GraphProto.Builder graph, TensorProto bias, float inputScale, float[] weightScales) {
        float[] b = floats(bias);
        if (b.length != weightScales.length) {
            throw new IllegalArgumentException("bias '" + bias.getName() + "' has " + b.length
                    + " values for " + weightScales.length + " output channels");
        }
        float[] scales = new float[b.length];
        ByteBuffer q = ByteBuffer.allocate(b.length * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int c = 0; c < b.length; c++) {
            scales[c] = inputScale * weightScales[c];
            double v = Math.rint(b[c] / (double) scales[c]);
            q.putInt((int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v)));
        }
        addPerChannel(graph, bias.getName(), TensorProto.DataType.INT32_VALUE, q.array(), new long[] {b.length},
                scales, new byte[b.length * Integer.BYTES]);
    }

    /** {@code name}: the quantized initializer, its scales and zero points, and DequantizeLinear on axis 0. */
    private static void addPerChannel(GraphProto.Builder graph, String name, int dataType, byte[] values, long[] dims,
            float[] scales, byte[] zeroPoints) {
        graph.addInitializer(OnnxExporter.rawTensor(name + QUANTIZED, dataType, values, dims));
        graph.addInitializer(OnnxExporter.floatTensor(name + ".scale", scales, scales.length));
        graph.addInitializer(OnnxExporter.rawTensor(name + ".zero_point", dataType, zeroPoints, scales.length));
        graph.addNode(OnnxExporter.node("DequantizeLinear", name + ".dequantize",
                List.of(name + QUANTIZED, name + ".scale", name + ".zero_point"), name + DEQUANTIZED,
                OnnxExporter.intAttr("axis", 0)));
    }

    /** The values of a float32 initializer, whether stored as raw data (our exports) or as float_data. */
    static float[] floats(TensorProto t) {
        if (t.getRawData().isEmpty()) {
            float[] values = new float[t.getFloatDataCount()];
            for (int i = 0; i < values.length; i++) {
                values[i] = t.getFloatData(i);
            }
            return values;
        }
        ByteBuffer raw = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[raw.remaining() / Float.BYTES];
        raw.asFloatBuffer().get(values);
        return values;
    }
}
