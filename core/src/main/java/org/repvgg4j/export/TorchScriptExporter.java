package org.repvgg4j.export;

import ai.djl.ndarray.NDArray;
import com.google.gson.Gson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.repvgg4j.model.BlockPlan;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.StateDict;

/**
 * Writes the deploy network as a TorchScript archive, the file {@code torch.jit.save} writes and
 * {@code torch.jit.load} (Python) or {@code torch::jit::load} (C++) reads: what the original
 * workflow's conversion step hands to a C++ service.
 *
 * <p>The archive is a zip with one top folder: {@code code/__torch__.py} holds the network's
 * {@code forward} as TorchScript source (a 3x3 convolution with bias and a ReLU per block, SE where
 * the spec has it, mean over the map and the linear head), {@code data.pkl} the module object whose
 * parameters point at raw little-endian float32 files under {@code data/}, and
 * {@code extra/repvgg.json} the class names and preprocessing (as the ONNX export's metadata), which
 * {@code torch.jit.load(f, _extra_files={"repvgg.json": ""})} returns. Parameters are named after
 * the official state-dict keys with dots as underscores ({@code stage1_0_rbr_reparam_weight}).
 * Files are stored uncompressed at 64-byte aligned offsets, as PyTorch's own writer does.
 *
 * <p>In {@link Precision#BF16} the parameters are stored as bfloat16 ({@code BFloat16Storage}, half
 * the file; kernels channels-last) and {@code forward} casts the input to bfloat16 in channels-last
 * layout, runs every layer in bfloat16 and returns float32 logits. libtorch then runs the convolutions in oneDNN's bf16
 * kernels (AMX or AVX512-BF16 where the processor has them), each with its ReLU fused in; callers
 * see float32 in and out. The fused operator came with PyTorch 2.0, so a bf16 archive needs
 * PyTorch 2.0 or later (DJL's libtorch is 2.7); the fp32 archive loads in 1.13 too.
 */
public final class TorchScriptExporter {

    /** The archive's top folder. */
    public static final String ARCHIVE = "repvgg";
    /** The metadata file under {@code extra/}. */
    public static final String METADATA = "repvgg.json";
    /** The module's class, {@code __torch__.RepVGG}. */
    static final String CLASS = "RepVGG";
    /** The serialization format version PyTorch 1.13 writes for these operators. */
    static final String FORMAT_VERSION = "3";
    /**
     * How far a bf16 archive's logits may stray from float32's, as a share of the largest |logit|.
     * bfloat16 keeps 8 significant bits (relative rounding 2^-9, 0.2%) per stored value; over A0's
     * 22 layers with random weights the logits moved by 1.8% (docs/BENCHMARKS.md, "bf16"). A wrong
     * weight or layer moves them by far more.
     */
    public static final double BF16_TOLERANCE = 0.05;
    /** {@link #BF16_TOLERANCE} in percent, as help texts state it. */
    public static final int BF16_TOLERANCE_PERCENT = 5;
    private static final int ALIGNMENT = 64;
    /** Every file's time stamp, so that the same model gives the same bytes. */
    private static final LocalDateTime FIXED_TIME = LocalDateTime.of(2000, 1, 1, 0, 0);
    private static final Gson GSON = new Gson();

    private TorchScriptExporter() {}

    /**
     * Writes the archive to {@code out}, one tensor at a time. {@code weights} must hold the deploy
     * tensors under the official names; a missing key, a wrong shape or a key the network does not
     * use is refused, naming the key, before anything is written.
     */
    public static void write(ModelConfig config, StateDict weights, OutputStream out) throws IOException {
        write(config, weights, Precision.FP32, out);
    }

    /**
     * As {@link #write(ModelConfig, StateDict, OutputStream)}, in {@code precision}: fp32, or bf16
     * (parameters and every layer in bfloat16, float32 input and logits).
     */
    public static void write(ModelConfig config, StateDict weights, Precision precision, OutputStream out)
            throws IOException {
        if (precision == Precision.INT8) {
            throw new IllegalArgumentException("int8 is exported to ONNX (Int8Exporter), not to TorchScript");
        }
        if (config.form() != Form.DEPLOY) {
            throw new IllegalArgumentException("only the deploy form is exported to TorchScript; convert the "
                    + config.form().id() + "-form model first");
        }
        boolean bf16 = precision == Precision.BF16;
        Module module = new Module(weights, bf16);
        RepVggSpec spec = config.spec();
        List<String> body = new ArrayList<>();
        if (bf16) {
            // ScalarType 15 is BFloat16; memory format 2 is channels-last, the layout oneDNN's bf16 kernels take.
            body.add("x = torch.contiguous(torch.to(x, 15), memory_format=2)");
            // oneDNN's bf16 path needs AVX-512 (BW, VL, DQ) or AVX-NE-CONVERT; elsewhere ATen's own kernels run.
            body.add("fused = ops.mkldnn._is_mkldnn_bf16_supported()");
        }
        for (BlockPlan plan : spec.blocks()) {
            addBlock(body, module, plan, bf16);
        }
        String w = module.parameter("linear.weight", config.numClasses(), spec.featureChannels());
        String b = module.parameter("linear.bias", config.numClasses());
        body.add("x = torch.mean(x, [2, 3])");
        String logits = "torch.linear(x, self." + w + ", self." + b + ")";
        body.add("return " + (bf16 ? "torch.to(" + logits + ", 6)" : logits)); // ScalarType 6 is Float
        DeployTensors.refuseUnused(weights, module.keys);

        try (AlignedZip zip = new AlignedZip(out)) {
            zip.add("data.pkl", module.dataPickle());
            zip.add("code/__torch__.py", module.source(body).getBytes(StandardCharsets.UTF_8));
            zip.add("constants.pkl", new PickleWriter().emptyTuple().finish());
            for (int i = 0; i < module.tensors.size(); i++) {
                NDArray tensor = module.tensors.get(i);
                float[] values = DeployTensors.floats(tensor);
                if (bf16) {
                    values = inStrideOrder(values, tensor.getShape().getShape());
                }
                zip.add("data/" + i, bf16 ? littleEndianBf16(values) : littleEndian(values));
            }
            Map<String, String> meta = OnnxExporter.metadata(config);
            if (bf16) {
                meta.put(OnnxExporter.META_PRECISION, Precision.BF16.id());
            }
            zip.add("extra/" + METADATA, GSON.toJson(meta).getBytes(StandardCharsets.UTF_8));
            zip.add("version", (FORMAT_VERSION + "\n").getBytes(StandardCharsets.US_ASCII));
        }
    }

    /** The archive's bytes, as {@link #write} writes them. */
    public static byte[] toBytes(ModelConfig config, StateDict weights) {
        return toBytes(config, weights, Precision.FP32);
    }

    /** The archive's bytes in {@code precision}, as {@link #write(ModelConfig, StateDict, Precision, OutputStream)} writes them. */
    public static byte[] toBytes(ModelConfig config, StateDict weights, Precision precision) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            write(config, weights, precision, bytes);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in memory: not expected
        }
    }

    private static byte[] littleEndian(float[] values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(values);
        return buffer.array();
    }

    /**
     * Element strides of a tensor of {@code shape}: row-major, or for a 4-d kernel in channels-last
     * order when {@code channelsLast} ([out, in, kh, kw] stored as out, kh, kw, in), the layout
     * oneDNN's bf16 convolutions read without reordering the weights on every call.
     */
    static long[] strides(long[] shape, boolean channelsLast) {
        long[] strides = new long[shape.length];
        if (channelsLast && shape.length == 4) {
            long in = shape[1];
            long kw = shape[3];
            return new long[] {in * shape[2] * kw, 1, kw * in, in};
        }
        long stride = 1;
        for (int d = strides.length - 1; d >= 0; d--) {
            strides[d] = stride;
            stride *= shape[d];
        }
        return strides;
    }

    /** Row-major {@code values} of {@code shape} laid out by {@link #strides strides(shape, true)}. */
    static float[] inStrideOrder(float[] values, long[] shape) {
        if (shape.length != 4) {
            return values;
        }
        long[] strides = strides(shape, true);
        float[] out = new float[values.length];
        int at = 0;
        for (int o = 0; o < shape[0]; o++) {
            for (int c = 0; c < shape[1]; c++) {
                for (int y = 0; y < shape[2]; y++) {
                    for (int x = 0; x < shape[3]; x++) {
                        out[(int) (o * strides[0] + c * strides[1] + y * strides[2] + x * strides[3])] = values[at++];
                    }
                }
            }
        }
        return out;
    }

    private static byte[] littleEndianBf16(float[] values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * Short.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            buffer.putShort(Precision.toBf16(v));
        }
        return buffer.array();
    }

    /**
     * Conv (the fused 3x3 with bias), then SE if the block has it, then ReLU, on {@code x}. In bf16
     * a block without SE is one call of oneDNN's convolution with the ReLU fused in
     * ({@code mkldnn::_convolution_pointwise}, in libtorch since PyTorch 2.0): a separate bf16 ReLU
     * pass over every activation took a quarter of A0's time at batch 32 (docs/BENCHMARKS.md, "bf16").
     */
    private static void addBlock(List<String> body, Module module, BlockPlan plan, boolean bf16) {
        String prefix = plan.keyPrefix();
        int out = plan.outChannels();
        String w = module.parameter(prefix + "rbr_reparam.weight", out, plan.inChannels() / plan.groups(), 3, 3);
        String b = module.parameter(prefix + "rbr_reparam.bias", out);
        String conv = String.format(Locale.ROOT, "torch.conv2d(x, self.%s, self.%s, [%d, %d], [1, 1], [1, 1], %d)",
                w, b, plan.stride(), plan.stride(), plan.groups());
        if (!plan.se() && bf16) {
            body.add("if fused:");
            body.add(String.format(Locale.ROOT, "  x = ops.mkldnn._convolution_pointwise(x, self.%s, self.%s, [1, 1], "
                    + "[%d, %d], [1, 1], %d, \"relu\", annotate(List[Optional[number]], []), None)",
                    w, b, plan.stride(), plan.stride(), plan.groups()));
            body.add("else:");
            body.add("  x = torch.relu(" + conv + ")");
            return;
        }
        if (!plan.se()) {
            body.add("x = torch.relu(" + conv + ")");
            return;
        }
        int hidden = plan.seChannels();
        String downW = module.parameter(prefix + "se.down.weight", hidden, out, 1, 1);
        String downB = module.parameter(prefix + "se.down.bias", hidden);
        String upW = module.parameter(prefix + "se.up.weight", out, hidden, 1, 1);
        String upB = module.parameter(prefix + "se.up.bias", out);
        body.add("x = " + conv);
        body.add("s = torch.mean(x, [2, 3], True)");
        body.add("s = torch.relu(" + pointwise("s", downW, downB) + ")");
        body.add("s = torch.sigmoid(" + pointwise("s", upW, upB) + ")");
        body.add("x = torch.relu(torch.mul(x, s))");
    }

    private static String pointwise(String input, String w, String b) {
        return "torch.conv2d(" + input + ", self." + w + ", self." + b + ", [1, 1], [0, 0], [1, 1], 1)";
    }

    /** The module's parameters, in order, as attribute names and tensors. */
    private static final class Module {

        private final StateDict weights;
        private final String storage;
        /** bf16 kernels are stored channels-last: see {@link #strides}. */
        private final boolean channelsLast;
        private final Set<String> keys = new HashSet<>();
        private final List<String> names = new ArrayList<>();
        private final List<NDArray> tensors = new ArrayList<>();

        Module(StateDict weights, boolean bf16) {
            this.weights = weights;
            this.storage = bf16 ? "BFloat16Storage" : "FloatStorage";
            this.channelsLast = bf16;
        }

        /** Adds the checked tensor under {@code key}; returns its attribute name. */
        String parameter(String key, long... shape) {
            NDArray tensor = DeployTensors.require(weights, key, shape);
            String name = key.replace('.', '_');
            keys.add(key);
            names.add(name);
            tensors.add(tensor);
            return name;
        }

        /** {@code class RepVGG(Module)} with the parameters declared and {@code forward} as {@code body}. */
        String source(List<String> body) {
            StringBuilder code = new StringBuilder();
            code.append("class ").append(CLASS).append("(Module):\n");
            code.append("  __parameters__ = [");
            for (String name : names) {
                code.append('"').append(name).append("\", ");
            }
            code.append("]\n");
            code.append("  __buffers__ = []\n");
            for (String name : names) {
                code.append("  ").append(name).append(" : Tensor\n");
            }
            code.append("  training : bool\n");
            code.append("  def forward(self: __torch__.").append(CLASS).append(",\n    x: Tensor) -> Tensor:\n");
            for (String line : body) {
                code.append("    ").append(line).append('\n');
            }
            return code.toString();
        }

        /**
         * The module object: {@code __torch__.RepVGG} with each parameter rebuilt by
         * {@code torch._utils._rebuild_tensor_v2} from storage {@code data/<i>}, and training off.
         */
        byte[] dataPickle() {
            PickleWriter p = new PickleWriter().global("__torch__", CLASS).emptyTuple().newObject().emptyDict().mark();
            for (int i = 0; i < names.size(); i++) {
                long[] shape = tensors.get(i).getShape().getShape();
                p.string(names.get(i));
                p.global("torch._utils", "_rebuild_tensor_v2").mark();
                p.mark().string("storage").global("torch", storage).string(Integer.toString(i)).string("cpu")
                        .integer(tensors.get(i).getShape().size()).tuple().persistentId();
                p.integer(0);
                p.mark();
                for (long d : shape) {
                    p.integer(d);
                }
                p.tuple().mark();
                for (long s : strides(shape, channelsLast)) {
                    p.integer(s);
                }
                p.tuple().bool(true).global("collections", "OrderedDict").emptyTuple().reduce();
                p.tuple().reduce();
            }
            p.string("training").bool(false);
            return p.setItems().build().finish();
        }
    }

    /**
     * A zip of stored (uncompressed) files under {@link #ARCHIVE}, each file's data starting at a
     * multiple of 64 bytes (padded with an extra field), as PyTorch writes its archives.
     */
    private static final class AlignedZip implements AutoCloseable {

        private final Counting counting;
        private final ZipOutputStream zip;

        AlignedZip(OutputStream out) {
            counting = new Counting(out);
            zip = new ZipOutputStream(counting);
        }

        void add(String name, byte[] data) throws IOException {
            String path = ARCHIVE + "/" + name;
            ZipEntry entry = new ZipEntry(path);
            entry.setMethod(ZipEntry.STORED);
            entry.setSize(data.length);
            entry.setCompressedSize(data.length);
            CRC32 crc = new CRC32();
            crc.update(data);
            entry.setCrc(crc.getValue());
            entry.setTimeLocal(FIXED_TIME); // in the DOS range: no extended-time field
            // Local header: 30 bytes, the name, then the extra field (id, size, padding).
            long start = counting.count + 30 + path.getBytes(StandardCharsets.UTF_8).length + 4;
            int padding = (int) ((ALIGNMENT - start % ALIGNMENT) % ALIGNMENT);
            byte[] extra = new byte[4 + padding];
            extra[0] = 'F';
            extra[1] = 'B';
            extra[2] = (byte) padding;
            extra[3] = (byte) (padding >>> 8);
            entry.setExtra(extra);
            zip.putNextEntry(entry);
            zip.write(data);
            zip.closeEntry();
        }

        @Override
        public void close() throws IOException {
            zip.close();
        }
    }

    /** Counts the bytes written through it. */
    private static final class Counting extends OutputStream {

        private final OutputStream out;
        private long count;

        Counting(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        /** The caller's stream stays open: the caller owns it. */
        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
