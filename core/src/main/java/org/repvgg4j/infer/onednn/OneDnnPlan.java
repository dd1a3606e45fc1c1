package org.repvgg4j.infer.onednn;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_FROM;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_TO;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_direct;
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_forward_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_winograd;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_relu;
import static org.bytedeco.dnnl.global.dnnl.dnnl_f32;
import static org.bytedeco.dnnl.global.dnnl.dnnl_format_tag_any;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_inference;
import static org.bytedeco.dnnl.global.dnnl.dnnl_goihw;
import static org.bytedeco.dnnl.global.dnnl.dnnl_inner_product_forward_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_equal;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_get_size;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_init_by_tag;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_nc;
import static org.bytedeco.dnnl.global.dnnl.dnnl_nchw;
import static org.bytedeco.dnnl.global.dnnl.dnnl_oihw;
import static org.bytedeco.dnnl.global.dnnl.dnnl_pooling_avg_exclude_padding;
import static org.bytedeco.dnnl.global.dnnl.dnnl_pooling_forward_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_post_ops_append_eltwise;
import static org.bytedeco.dnnl.global.dnnl.dnnl_post_ops_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_post_ops_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_set_post_ops;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_query_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_execute;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_dst_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_src_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_weights_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_reorder_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_wait;
import static org.bytedeco.dnnl.global.dnnl.dnnl_success;
import static org.bytedeco.dnnl.global.dnnl.dnnl_unimplemented;
import static org.bytedeco.dnnl.global.dnnl.dnnl_x;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.dnnl.const_dnnl_op_desc_t;
import org.bytedeco.dnnl.dnnl_convolution_desc_t;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_inner_product_desc_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_pooling_desc_t;
import org.bytedeco.dnnl.dnnl_post_ops;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.javacpp.FloatPointer;

/**
 * A deploy-form RepVGG compiled by oneDNN for one batch size and input size: each block one
 * convolution with its ReLU fused in, then global average pooling and the linear layer.
 *
 * <p>From batch 2 on, stride-1 convolutions without groups ask oneDNN for its Winograd algorithm
 * (F(4x4, 3x3) on AVX-512: 4x fewer multiplications than a direct 3x3 convolution), and take the
 * direct one where it has none (other CPUs, other shapes). Activations stay in whatever blocked layout each primitive prefers, reordered only where
 * two neighbours disagree, and alternate between two buffers sized for the largest.
 */
final class OneDnnPlan implements AutoCloseable {

    /** Buffers a step reads or writes; {@link #FIXED} marks a memory made once (weights, bias). */
    private static final int PING = 0;
    private static final int PONG = 1;
    private static final int INPUT = 2;
    private static final int POOLED = 3;
    private static final int OUTPUT = 4;
    private static final int FIXED = -1;
    private static final int BUFFERS = 5;

    /**
     * Winograd from this batch size on. At batch 1 a late stage's small map has too few 4x4 tiles
     * (16 for 14x14) to share between cores, and direct convolutions were faster; from batch 2 on
     * Winograd was (A0 at 224x224 on two cores: docs/BENCHMARKS.md, "oneDNN Winograd").
     */
    static final int WINOGRAD_MIN_BATCH = 2;

    /** One primitive and its arguments: per argument the buffer it uses, or a fixed memory. */
    private record Step(dnnl_primitive primitive, int[] args, dnnl_memory_desc_t[] descs, int[] buffers,
            dnnl_memory[] fixed) {}

    private final int batch;
    private final int size;
    private final int classes;
    private final List<Step> steps = new ArrayList<>();
    private final List<String> convolutionKernels = new ArrayList<>();
    private final List<AutoCloseable> natives = new ArrayList<>();
    private final FloatPointer[] buffers = new FloatPointer[BUFFERS];
    private dnnl_exec_arg_t[] execArgs;

    private OneDnnPlan(int batch, int size, int classes) {
        this.batch = batch;
        this.size = size;
        this.classes = classes;
    }

    /** Compiles {@code network} for {@code batch} images of {@code size}x{@code size}. */
    static OneDnnPlan compile(OneDnnNetwork network, int batch, int size) {
        OneDnnPlan plan = new OneDnnPlan(batch, size, network.classes());
        try {
            plan.build(network);
            return plan;
        } catch (RuntimeException e) {
            plan.close();
            throw e;
        }
    }

    private void build(OneDnnNetwork network) {
        dnnl_memory_desc_t current = desc(dnnl_nchw, batch, 3, size, size);
        int holder = INPUT;
        long[] bytes = new long[BUFFERS];
        bytes[INPUT] = dnnl_memory_desc_get_size(current);
        int h = size;
        int channels = 3;
        for (OneDnnNetwork.Conv conv : network.convolutions()) {
            if (conv.in() != channels) {
                throw new IllegalArgumentException(conv.name() + ": takes " + conv.in() + " channels, gets " + channels);
            }
            int out = (h + 2 - 3) / conv.stride() + 1;
            dnnl_primitive_desc pd = convolution(conv, h, out);
            dnnl_memory_desc_t src = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
            if (dnnl_memory_desc_equal(src, current) == 0) {
                int to = holder == PING ? PONG : PING;
                addReorder(current, holder, src, to);
                bytes[to] = Math.max(bytes[to], dnnl_memory_desc_get_size(src));
                holder = to;
            }
            dnnl_memory weights = reordered(conv.weights(), weightsDesc(conv),
                    dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), conv.name() + ".weight");
            dnnl_memory bias = fixedMemory(desc(dnnl_x, conv.out()), conv.bias());
            dnnl_memory_desc_t dst = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
            int to = holder == PING ? PONG : PING;
            bytes[to] = Math.max(bytes[to], dnnl_memory_desc_get_size(dst));
            addStep(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST},
                    new dnnl_memory_desc_t[] {src, null, null, dst}, new int[] {holder, FIXED, FIXED, to},
                    new dnnl_memory[] {null, weights, bias, null}, conv.name());
            current = dst;
            holder = to;
            h = out;
            channels = conv.out();
        }
        if (channels != network.features()) {
            throw new IllegalArgumentException("the last block gives " + channels + " channels, the linear layer takes "
                    + network.features());
        }
        // Head: average over the last feature map, then the linear layer, both in the layout oneDNN
        // picks for them (with a plain NCHW result, pooling from NHWC fell back to its reference kernel).
        dnnl_pooling_desc_t pool = new dnnl_pooling_desc_t();
        natives.add(pool);
        Dnnl.check(dnnl_pooling_forward_desc_init(pool, dnnl_forward_inference, dnnl_pooling_avg_exclude_padding,
                current, anyDesc(batch, channels, 1, 1), new long[] {1, 1}, new long[] {h, h}, new long[] {0, 0},
                new long[] {0, 0}), "describing the average pooling");
        dnnl_primitive_desc poolPd = primitiveDesc(new const_dnnl_op_desc_t(pool), null, "average pooling");
        dnnl_memory_desc_t pooled = dnnl_primitive_desc_query_md(poolPd, dnnl_query_dst_md, 0);
        bytes[POOLED] = dnnl_memory_desc_get_size(pooled);
        addStep(poolPd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DST}, new dnnl_memory_desc_t[] {current, pooled},
                new int[] {holder, POOLED}, new dnnl_memory[2], "head.pool");

        dnnl_memory_desc_t logits = desc(dnnl_nc, batch, classes);
        dnnl_inner_product_desc_t ip = new dnnl_inner_product_desc_t();
        natives.add(ip);
        Dnnl.check(dnnl_inner_product_forward_desc_init(ip, dnnl_forward_inference, pooled,
                anyDesc(classes, channels, 1, 1), desc(dnnl_x, classes), logits), "describing the linear layer");
        dnnl_primitive_desc ipPd = primitiveDesc(new const_dnnl_op_desc_t(ip), null, "linear layer");
        dnnl_memory linearWeights = reordered(network.linearWeight(), desc(dnnl_oihw, classes, channels, 1, 1),
                dnnl_primitive_desc_query_md(ipPd, dnnl_query_weights_md, 0), "linear.weight");
        dnnl_memory linearBias = fixedMemory(desc(dnnl_x, classes), network.linearBias());
        bytes[OUTPUT] = dnnl_memory_desc_get_size(logits);
        addStep(ipPd, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST},
                new dnnl_memory_desc_t[] {pooled, null, null, logits}, new int[] {POOLED, FIXED, FIXED, OUTPUT},
                new dnnl_memory[] {null, linearWeights, linearBias, null}, "linear");

        for (int b = 0; b < BUFFERS; b++) {
            buffers[b] = aligned(Math.max(bytes[b], 4) / 4);
        }
        execArgs = new dnnl_exec_arg_t[steps.size()];
        for (int s = 0; s < steps.size(); s++) {
            Step step = steps.get(s);
            dnnl_exec_arg_t args = new dnnl_exec_arg_t(step.args().length);
            natives.add(args);
            for (int a = 0; a < step.args().length; a++) {
                dnnl_memory memory = step.buffers()[a] == FIXED ? step.fixed()[a]
                        : memory(step.descs()[a], buffers[step.buffers()[a]]);
                args.position(a).arg(step.args()[a]).memory(memory);
            }
            execArgs[s] = args.position(0);
        }
    }

    /** The convolution with ReLU fused in: Winograd where oneDNN has it for this shape, else direct. */
    private dnnl_primitive_desc convolution(OneDnnNetwork.Conv conv, int h, int out) {
        dnnl_primitive_attr attr = new dnnl_primitive_attr();
        Dnnl.check(dnnl_primitive_attr_create(attr), "creating primitive attributes");
        dnnl_post_ops relu = new dnnl_post_ops();
        Dnnl.check(dnnl_post_ops_create(relu), "creating post-ops");
        try {
            Dnnl.check(dnnl_post_ops_append_eltwise(relu, 1f, dnnl_eltwise_relu, 0f, 0f), "adding the ReLU");
            Dnnl.check(dnnl_primitive_attr_set_post_ops(attr, relu), "setting the post-ops");
            boolean winograd = conv.stride() == 1 && conv.groups() == 1 && batch >= WINOGRAD_MIN_BATCH;
            for (int algorithm : winograd ? new int[] {dnnl_convolution_winograd, dnnl_convolution_direct}
                    : new int[] {dnnl_convolution_direct}) {
                dnnl_convolution_desc_t cd = new dnnl_convolution_desc_t();
                natives.add(cd);
                Dnnl.check(dnnl_convolution_forward_desc_init(cd, dnnl_forward_inference, algorithm,
                        anyDesc(batch, conv.in(), h, h), anyDesc(weightsDims(conv)), desc(dnnl_x, conv.out()),
                        anyDesc(batch, conv.out(), out, out), new long[] {conv.stride(), conv.stride()},
                        new long[] {1, 1}, new long[] {1, 1}), "describing convolution " + conv.name());
                dnnl_primitive_desc pd = new dnnl_primitive_desc();
                int status = dnnl_primitive_desc_create(pd, new const_dnnl_op_desc_t(cd), attr, Dnnl.engine(), null);
                if (status == dnnl_success) {
                    natives.add(() -> dnnl_primitive_desc_destroy(pd));
                    convolutionKernels.add(Dnnl.implementation(pd));
                    return pd;
                }
                if (status != dnnl_unimplemented || algorithm == dnnl_convolution_direct) {
                    Dnnl.check(status, "setting up convolution " + conv.name());
                }
            }
            throw new IllegalStateException("unreachable");
        } finally {
            dnnl_post_ops_destroy(relu);
            dnnl_primitive_attr_destroy(attr);
        }
    }

    private dnnl_primitive_desc primitiveDesc(const_dnnl_op_desc_t op, dnnl_primitive_attr attr, String what) {
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        Dnnl.check(dnnl_primitive_desc_create(pd, op, attr, Dnnl.engine(), null), "setting up the " + what);
        natives.add(() -> dnnl_primitive_desc_destroy(pd));
        return pd;
    }

    private void addStep(dnnl_primitive_desc pd, int[] args, dnnl_memory_desc_t[] descs, int[] buffers,
            dnnl_memory[] fixed, String what) {
        dnnl_primitive primitive = new dnnl_primitive();
        Dnnl.check(dnnl_primitive_create(primitive, pd), "creating the primitive of " + what);
        natives.add(() -> dnnl_primitive_destroy(primitive));
        steps.add(new Step(primitive, args, descs, buffers, fixed));
    }

    private void addReorder(dnnl_memory_desc_t from, int fromBuffer, dnnl_memory_desc_t to, int toBuffer) {
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        Dnnl.check(dnnl_reorder_primitive_desc_create(pd, from, Dnnl.engine(), to, Dnnl.engine(), null),
                "setting up a layout reorder");
        natives.add(() -> dnnl_primitive_desc_destroy(pd));
        addStep(pd, new int[] {DNNL_ARG_FROM, DNNL_ARG_TO}, new dnnl_memory_desc_t[] {from, to},
                new int[] {fromBuffer, toBuffer}, new dnnl_memory[2], "a layout reorder");
    }

    /** {@code values} in {@code user} layout, reordered once into the layout the primitive asked for. */
    private dnnl_memory reordered(float[] values, dnnl_memory_desc_t user, dnnl_memory_desc_t wanted, String key) {
        long expected = dnnl_memory_desc_get_size(user) / 4;
        if (values.length != expected) {
            throw new IllegalArgumentException(key + ": " + values.length + " values, the layer needs " + expected);
        }
        try (FloatPointer plain = new FloatPointer(values)) {
            dnnl_memory source = new dnnl_memory();
            Dnnl.check(dnnl_memory_create(source, user, Dnnl.engine(), plain), "wrapping " + key);
            dnnl_memory target = memory(wanted, aligned(dnnl_memory_desc_get_size(wanted) / 4));
            dnnl_primitive_desc pd = new dnnl_primitive_desc();
            dnnl_primitive reorder = new dnnl_primitive();
            try {
                Dnnl.check(dnnl_reorder_primitive_desc_create(pd, user, Dnnl.engine(), wanted, Dnnl.engine(), null),
                        "setting up the reorder of " + key);
                Dnnl.check(dnnl_primitive_create(reorder, pd), "creating the reorder of " + key);
                dnnl_exec_arg_t args = new dnnl_exec_arg_t(2);
                args.position(0).arg(DNNL_ARG_FROM).memory(source);
                args.position(1).arg(DNNL_ARG_TO).memory(target);
                Dnnl.check(dnnl_primitive_execute(reorder, Dnnl.stream(), 2, args.position(0)), "reordering " + key);
                Dnnl.check(dnnl_stream_wait(Dnnl.stream()), "reordering " + key);
                args.close();
            } finally {
                dnnl_primitive_destroy(reorder);
                dnnl_primitive_desc_destroy(pd);
                dnnl_memory_destroy(source);
            }
            return target;
        }
    }

    private dnnl_memory fixedMemory(dnnl_memory_desc_t desc, float[] values) {
        FloatPointer data = aligned(values.length);
        data.put(values, 0, values.length);
        return memory(desc, data);
    }

    private dnnl_memory memory(dnnl_memory_desc_t desc, FloatPointer data) {
        dnnl_memory memory = new dnnl_memory();
        Dnnl.check(dnnl_memory_create(memory, desc, Dnnl.engine(), data), "creating a memory object");
        natives.add(() -> dnnl_memory_destroy(memory));
        return memory;
    }

    /** {@code floats} of native memory starting on a 64-byte boundary, freed with the plan. */
    private FloatPointer aligned(long floats) {
        FloatPointer block = new FloatPointer(floats + 16);
        natives.add(block);
        return Dnnl.aligned(block, floats);
    }

    private dnnl_memory_desc_t desc(int tag, long... dims) {
        dnnl_memory_desc_t md = new dnnl_memory_desc_t();
        natives.add(md);
        Dnnl.check(dnnl_memory_desc_init_by_tag(md, dims.length, dims, dnnl_f32, tag), "describing a tensor");
        return md;
    }

    private dnnl_memory_desc_t anyDesc(long... dims) {
        return desc(dnnl_format_tag_any, dims);
    }

    private static long[] weightsDims(OneDnnNetwork.Conv c) {
        return c.groups() == 1 ? new long[] {c.out(), c.in(), 3, 3}
                : new long[] {c.groups(), c.out() / c.groups(), c.in() / c.groups(), 3, 3};
    }

    private dnnl_memory_desc_t weightsDesc(OneDnnNetwork.Conv c) {
        return desc(c.groups() == 1 ? dnnl_oihw : dnnl_goihw, weightsDims(c));
    }

    /** The oneDNN kernel of each convolution, in order ({@code jit_wino_4x3:avx512_core}, {@code brgconv:...}). */
    List<String> convolutionKernels() {
        return List.copyOf(convolutionKernels);
    }

    int batch() {
        return batch;
    }

    int size() {
        return size;
    }

    /** Logits for one batch: {@code nchw} holds exactly this plan's batch of images. */
    float[][] run(float[] nchw, int threads) {
        long expected = (long) batch * 3 * size * size;
        if (nchw.length != expected) {
            throw new IllegalArgumentException("input has " + nchw.length + " values, a batch of " + batch + " at 3x"
                    + size + "x" + size + " needs " + expected);
        }
        Dnnl.useThreads(threads);
        buffers[INPUT].put(nchw, 0, nchw.length);
        for (int s = 0; s < steps.size(); s++) {
            Step step = steps.get(s);
            Dnnl.check(dnnl_primitive_execute(step.primitive(), Dnnl.stream(), step.args().length, execArgs[s]),
                    "running the network");
        }
        Dnnl.check(dnnl_stream_wait(Dnnl.stream()), "running the network");
        float[] flat = new float[batch * classes];
        buffers[OUTPUT].get(flat, 0, flat.length);
        float[][] rows = new float[batch][];
        for (int i = 0; i < batch; i++) {
            rows[i] = Arrays.copyOfRange(flat, i * classes, (i + 1) * classes);
        }
        return rows;
    }

    @Override
    public void close() {
        Dnnl.closeAll(natives);
    }
}
