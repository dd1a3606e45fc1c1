package org.repvgg4j.export;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.google.gson.Gson;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import onnx.Onnx.AttributeProto;
import onnx.Onnx.GraphProto;
import onnx.Onnx.ModelProto;
import onnx.Onnx.NodeProto;
import onnx.Onnx.OperatorSetIdProto;
import onnx.Onnx.StringStringEntryProto;
import onnx.Onnx.TensorProto;
import onnx.Onnx.TensorShapeProto;
import onnx.Onnx.TypeProto;
import onnx.Onnx.ValueInfoProto;
import org.repvgg4j.model.BlockPlan;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.Preprocessing;
import org.repvgg4j.weights.StateDict;

/**
 * Writes the deploy form of a RepVGG network as an ONNX model: one Conv (+ SE) + Relu per block,
 * then GlobalAveragePool, Flatten and Gemm. Input {@code input} [batch, 3, H, W] float32, output
 * {@code logits} [batch, classes], with a symbolic {@code batch} dimension. The model's
 * {@code metadata_props} carry the class names and preprocessing, so the file alone is enough to
 * run it. Pure: no I/O, no engine; the weights are read from a deploy-form {@link StateDict}.
 */
public final class OnnxExporter {

    /**
     * Opset 17 with IR version 8: every operator used here has had its current form since opset 13,
     * and 17/8 is the newest pair that Debian's onnx 1.12 checker and every ONNX Runtime since 1.12
     * accept.
     */
    public static final int OPSET = 17;

    public static final long IR_VERSION = 8;

    public static final String INPUT = "input";
    public static final String OUTPUT = "logits";
    public static final String BATCH = "batch";

    /** Keys of the model's {@code metadata_props}; lists are JSON arrays. */
    public static final String META_ARCH = "arch";
    public static final String META_FORM = "form";
    public static final String META_NUM_CLASSES = "num_classes";
    public static final String META_CLASSES = "classes";
    public static final String META_INPUT_SIZE = "input_size";
    public static final String META_RESIZE_SIZE = "resize_size";
    public static final String META_MEAN = "mean";
    public static final String META_STD = "std";
    public static final String META_INPUT_FORMAT = "input_format";
    public static final String META_PROVENANCE_PREFIX = "provenance.";
    /** How an export stores its numbers: {@code int8} or {@code bf16} ({@link Precision}); absent means fp32. */
    public static final String META_PRECISION = "precision";

    public static final String PRODUCER = "repvgg4j";
    public static final String PRODUCER_VERSION = "0.2.0";

    private static final Gson GSON = new Gson();

    private OnnxExporter() {}

    /**
     * The ONNX model of a deploy-form network. {@code weights} must hold the deploy tensors under the
     * official names ({@code stageN.i.rbr_reparam.weight}, {@code linear.bias}, ...); a missing key or
     * a wrong shape is refused with an error naming the key.
     */
    public static ModelProto export(ModelConfig config, StateDict weights) {
        if (config.form() != Form.DEPLOY) {
            throw new IllegalArgumentException("only the deploy form is exported to ONNX; convert the "
                    + config.form().id() + "-form model first");
        }
        RepVggSpec spec = config.spec();
        int size = config.preprocessing().inputSize();
        GraphProto.Builder graph = GraphProto.newBuilder().setName("RepVGG-" + spec.name());
        graph.addInput(tensorValue(INPUT, BATCH, 3, size, size));
        graph.addOutput(tensorValue(OUTPUT, BATCH, config.numClasses()));

        String x = INPUT;
        for (BlockPlan plan : spec.blocks()) {
            x = addBlock(graph, plan, weights, x);
        }
        graph.addNode(node("GlobalAveragePool", "head.pool", List.of(x), "head.pooled"));
        graph.addNode(node("Flatten", "head.flatten", List.of("head.pooled"), "head.features", intAttr("axis", 1)));
        String w = initializer(graph, weights, "linear.weight", config.numClasses(), spec.featureChannels());
        String b = initializer(graph, weights, "linear.bias", config.numClasses());
        graph.addNode(node("Gemm", "linear", List.of("head.features", w, b), OUTPUT, intAttr("transB", 1)));
        refuseUnused(graph, weights);

        ModelProto.Builder model = ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setProducerName(PRODUCER)
                .setProducerVersion(PRODUCER_VERSION)
                .setDocString("RepVGG-" + spec.name() + " deploy form, " + config.numClasses() + " classes, input "
                        + size + "x" + size + "; preprocessing and class names are in metadata_props")
                .setGraph(graph);
        metadata(config).forEach((k, v) ->
                model.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        return model.build();
    }

    /** The serialized ONNX model, as written to a {@code .onnx} file. */
    public static byte[] toBytes(ModelConfig config, StateDict weights) {
        return export(config, weights).toByteArray();
    }

    /** What the file says about the model beside the graph: arch, classes, preprocessing, provenance. */
    public static Map<String, String> metadata(ModelConfig config) {
        Preprocessing pre = config.preprocessing();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(META_ARCH, config.spec().name());
        meta.put(META_FORM, Form.DEPLOY.id());
        meta.put(META_NUM_CLASSES, String.valueOf(config.numClasses()));
        meta.put(META_CLASSES, GSON.toJson(config.classes()));
        meta.put(META_INPUT_SIZE, String.valueOf(pre.inputSize()));
        meta.put(META_RESIZE_SIZE, String.valueOf(pre.resizeSize()));
        meta.put(META_MEAN, GSON.toJson(pre.mean()));
        meta.put(META_STD, GSON.toJson(pre.std()));
        meta.put(META_INPUT_FORMAT, "NCHW float32 RGB: resize shorter side to resize_size, center-crop input_size, "
                + "scale to [0, 1], subtract mean, divide by std");
        config.provenance().forEach((k, v) -> meta.put(META_PROVENANCE_PREFIX + k, v));
        return meta;
    }

    private static void refuseUnused(GraphProto.Builder graph, StateDict weights) {
        Set<String> used = new HashSet<>();
        graph.getInitializerList().forEach(t -> used.add(t.getName()));
        DeployTensors.refuseUnused(weights, used);
    }

    /** Conv (the fused 3x3 with bias), then SE if the block has it, then Relu; returns the output name. */
    private static String addBlock(GraphProto.Builder graph, BlockPlan plan, StateDict weights, String input) {
        String name = plan.keyPrefix().substring(0, plan.keyPrefix().length() - 1);
        int out = plan.outChannels();
        String w = initializer(graph, weights, plan.keyPrefix() + "rbr_reparam.weight",
                out, plan.inChannels() / plan.groups(), 3, 3);
        String b = initializer(graph, weights, plan.keyPrefix() + "rbr_reparam.bias", out);
        String x = name + ".conv";
        graph.addNode(node("Conv", name + ".rbr_reparam", List.of(input, w, b), x,
                intsAttr("kernel_shape", 3, 3), intsAttr("pads", 1, 1, 1, 1),
                intsAttr("strides", plan.stride(), plan.stride()), intsAttr("dilations", 1, 1),
                intAttr("group", plan.groups())));
        if (plan.se()) {
            x = addSqueezeExcite(graph, name + ".se", plan, weights, x);
        }
        String y = name + ".out";
        graph.addNode(node("Relu", name + ".relu", List.of(x), y));
        return y;
    }

    /** GlobalAveragePool, 1x1 Conv down + Relu, 1x1 Conv up + Sigmoid, and the input scaled by the gate. */
    private static String addSqueezeExcite(GraphProto.Builder graph, String name, BlockPlan plan, StateDict weights,
            String input) {
        int channels = plan.outChannels();
        int hidden = plan.seChannels();
        String downW = initializer(graph, weights, name + ".down.weight", hidden, channels, 1, 1);
        String downB = initializer(graph, weights, name + ".down.bias", hidden);
        String upW = initializer(graph, weights, name + ".up.weight", channels, hidden, 1, 1);
        String upB = initializer(graph, weights, name + ".up.bias", channels);
        graph.addNode(node("GlobalAveragePool", name + ".pool", List.of(input), name + ".squeezed"));
        graph.addNode(node("Conv", name + ".down", List.of(name + ".squeezed", downW, downB), name + ".reduced",
                intsAttr("kernel_shape", 1, 1)));
        graph.addNode(node("Relu", name + ".relu", List.of(name + ".reduced"), name + ".hidden"));
        graph.addNode(node("Conv", name + ".up", List.of(name + ".hidden", upW, upB), name + ".expanded",
                intsAttr("kernel_shape", 1, 1)));
        graph.addNode(node("Sigmoid", name + ".sigmoid", List.of(name + ".expanded"), name + ".gate"));
        String scaled = name + ".scaled";
        graph.addNode(node("Mul", name + ".mul", List.of(input, name + ".gate"), scaled));
        return scaled;
    }

    /**
     * Adds the tensor under {@code key} as a float32 initializer of the same name (raw little-endian
     * data), after checking its shape; returns the name.
     */
    private static String initializer(GraphProto.Builder graph, StateDict weights, String key, long... shape) {
        graph.addInitializer(floatTensor(key, DeployTensors.floats(DeployTensors.require(weights, key, shape)), shape));
        return key;
    }

    /** A float32 initializer holding {@code values} as raw little-endian data. */
    static TensorProto floatTensor(String name, float[] values, long... shape) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        // No copy: the buffer is ours and never written again; B3's 440 MB would otherwise double.
        return rawTensor(name, TensorProto.DataType.FLOAT_VALUE, bytes.array(), shape);
    }

    /** An initializer of {@code dataType} whose raw data is {@code bytes} (already little-endian), not copied. */
    static TensorProto rawTensor(String name, int dataType, byte[] bytes, long... shape) {
        TensorProto.Builder tensor = TensorProto.newBuilder()
                .setName(name)
                .setDataType(dataType)
                .setRawData(UnsafeByteOperations.unsafeWrap(bytes));
        for (long d : shape) {
            tensor.addDims(d);
        }
        return tensor.build();
    }

    /** A float32 tensor value; a String dimension is symbolic, a number fixed. */
    static ValueInfoProto tensorValue(String name, Object... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            TensorShapeProto.Dimension.Builder dim = TensorShapeProto.Dimension.newBuilder();
            if (d instanceof String symbol) {
                dim.setDimParam(symbol);
            } else {
                dim.setDimValue(((Number) d).longValue());
            }
            shape.addDim(dim);
        }
        TypeProto type = TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder()
                .setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape)).build();
        return ValueInfoProto.newBuilder().setName(name).setType(type).build();
    }

    static NodeProto node(String op, String name, List<String> inputs, String output,
            AttributeProto... attributes) {
        return NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs).addOutput(output)
                .addAllAttribute(Arrays.asList(attributes)).build();
    }

    static AttributeProto intAttr(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    static AttributeProto intsAttr(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }
}
