package org.repvgg4j.train.onednn;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SCALE;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SHIFT;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_FROM;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_MEAN;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_MULTIPLE_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SCALE;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SHIFT;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_TO;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_VARIANCE;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.dnnl_backward;
import static org.bytedeco.dnnl.global.dnnl.dnnl_batch_normalization_backward_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_batch_normalization_forward_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_backward_data_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_backward_weights_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_direct;
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_forward_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_backward_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_forward_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_relu_use_dst_for_bwd;
import static org.bytedeco.dnnl.global.dnnl.dnnl_f32;
import static org.bytedeco.dnnl.global.dnnl.dnnl_format_tag_any;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_training;
import static org.bytedeco.dnnl.global.dnnl.dnnl_goihw;
import static org.bytedeco.dnnl.global.dnnl.dnnl_inner_product_backward_data_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_inner_product_backward_weights_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_inner_product_forward_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_equal;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_get_size;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_init_by_tag;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_set_data_handle;
import static org.bytedeco.dnnl.global.dnnl.dnnl_nc;
import static org.bytedeco.dnnl.global.dnnl.dnnl_nchw;
import static org.bytedeco.dnnl.global.dnnl.dnnl_oihw;
import static org.bytedeco.dnnl.global.dnnl.dnnl_pooling_avg_exclude_padding;
import static org.bytedeco.dnnl.global.dnnl.dnnl_pooling_backward_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_pooling_forward_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_query_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_execute;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_diff_weights_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_dst_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_exec_arg_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_src_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_weights_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_reorder_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_wait;
import static org.bytedeco.dnnl.global.dnnl.dnnl_sum_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_use_scale;
import static org.bytedeco.dnnl.global.dnnl.dnnl_use_shift;
import static org.bytedeco.dnnl.global.dnnl.dnnl_x;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.dnnl.const_dnnl_op_desc_t;
import org.bytedeco.dnnl.dnnl_batch_normalization_desc_t;
import org.bytedeco.dnnl.dnnl_convolution_desc_t;
import org.bytedeco.dnnl.dnnl_eltwise_desc_t;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_inner_product_desc_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_pooling_desc_t;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.repvgg4j.infer.onednn.Dnnl;
import org.repvgg4j.model.BlockPlan;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.platform.ConvolutionCheck;

/**
 * RepVGG's train form as one oneDNN 2.7 graph for a fixed batch and input size: the forward pass in
 * training mode (batch-norm on the batch's statistics), label-smoothed cross-entropy, the backward
 * pass and PyTorch's Nesterov SGD, with every activation, weight, gradient and momentum buffer kept
 * in the blocked layout its primitives asked for.
 *
 * <p>Why: libtorch's operators take and give plain NCHW tensors, so each of its convolutions copies
 * its input and weights into oneDNN's blocked layout and its output back, in the forward pass and
 * in both backward passes, and allocates every result afresh. Here a layout changes only where two
 * neighbouring primitives want different ones (the network's input; a backward kernel's weights),
 * and every buffer is allocated once.
 *
 * <p>Parameters move in and out under the official state-dict keys in PyTorch's plain layouts
 * ({@link #load}, {@link #weights}, {@link #velocity}), which is how a training run keeps its DJL
 * network, checkpoints and evaluation as they are. Squeeze-excitation blocks are not built here.
 * Every oneDNN call runs on {@link Dnnl}'s thread.
 */
public final class OneDnnTraining implements AutoCloseable {

    /** What a step's forward and backward passes gave: the batch's mean loss and each image's top class. */
    public record Outcome(float loss, long[] predicted) {}

    /** PyTorch's {@code BatchNorm2d} defaults, which the official code keeps. */
    private static final float EPS = 1e-5f;
    private static final float BN_MOMENTUM = 0.1f;

    private final int batch;
    private final int size;
    private final int classes;
    private final int threads;
    private final List<Param> params = new ArrayList<>();
    private final List<Norm> norms = new ArrayList<>();
    private final List<Op> forward = new ArrayList<>();
    private final List<Op> backward = new ArrayList<>();
    private final List<Op> weightLayouts = new ArrayList<>();
    private final List<AutoCloseable> natives = new ArrayList<>();
    private Buf input;
    private Buf logits;
    private Buf logitsGradient;
    private final float[] logitValues;
    private final float[] gradientValues;

    private OneDnnTraining(int batch, int size, int classes, int threads) {
        this.batch = batch;
        this.size = size;
        this.classes = classes;
        this.threads = threads;
        this.logitValues = new float[batch * classes];
        this.gradientValues = new float[batch * classes];
    }

    /** Targets for {@link #forwardBackward}: one row of {@code classes} per label, 1 at the label's class. */
    public static float[] oneHot(long[] labels, int classes) {
        float[] rows = new float[labels.length * classes];
        for (int i = 0; i < labels.length; i++) {
            rows[i * classes + (int) labels[i]] = 1f;
        }
        return rows;
    }

    /** Why {@code spec} cannot train here, or null when it can. */
    public static String unsupported(RepVggSpec spec) {
        return spec.blocks().stream().anyMatch(BlockPlan::se) ? "squeeze-excitation blocks" : null;
    }

    /**
     * Builds the graph of {@code spec}'s train form with {@code classes} outputs for batches of {@code batch}
     * images of {@code size}x{@code size}, on {@code threads} threads. Weights start at zero: {@link #load} them.
     */
    public static OneDnnTraining build(RepVggSpec spec, int classes, int batch, int size, int threads) {
        String why = unsupported(spec);
        if (why != null) {
            throw new IllegalArgumentException("oneDNN training does not build " + why);
        }
        OneDnnTraining graph = new OneDnnTraining(batch, size, classes, threads);
        try {
            Dnnl.onItsThread(() -> {
                graph.compile(spec);
                return null;
            });
            return graph;
        } catch (RuntimeException e) {
            graph.close();
            throw e;
        }
    }

    public int batch() {
        return batch;
    }

    // ---------------------------------------------------------------------------------------------
    // Building

    /** One block's forward buffers, kept for its backward pass. */
    private record Block(BlockPlan plan, Conv dense, Conv pointwise, Norm denseNorm, Norm pointwiseNorm, Norm identity,
            Buf in, Buf denseOut, Buf pointwiseOut, Buf out) {}

    private void compile(RepVggSpec spec) {
        Slot forwardPointwise = new Slot();
        Slot forwardIdentity = new Slot();
        input = buffer(desc(dnnl_nchw, batch, 3, size, size));
        Buf x = input;
        int h = size;
        List<Block> blocks = new ArrayList<>();
        for (BlockPlan plan : spec.blocks()) {
            String key = plan.keyPrefix();
            int hout = plan.outputSize(h);
            Conv dense = new Conv(key + "rbr_dense.conv.weight", plan, 3, h, hout, x == input ? null : x.md, null);
            Buf src = x;
            dnnl_memory_desc_t wanted = dnnl_primitive_desc_query_md(dense.forward, dnnl_query_src_md, 0);
            if (!same(wanted, x.md)) {
                if (x != input) {
                    throw new IllegalStateException(key + ": the convolution wants its input in another layout");
                }
                Buf inputBlocked = buffer(wanted);
                forward.add(owned(reorder(input, inputBlocked, "the input's layout")));
                src = inputBlocked;
            }
            dnnl_memory_desc_t outMd = dnnl_primitive_desc_query_md(dense.forward, dnnl_query_dst_md, 0);
            Conv pointwise = new Conv(key + "rbr_1x1.conv.weight", plan, 1, h, hout, src.md, outMd);
            Buf denseOut = buffer(outMd);
            Buf pointwiseOut = buffer(outMd);
            Norm denseNorm = new Norm(key + "rbr_dense.bn.", denseOut.md, plan.outChannels(), (long) batch * hout * hout);
            Norm pointwiseNorm = new Norm(key + "rbr_1x1.bn.", outMd, plan.outChannels(), (long) batch * hout * hout);
            Norm identity = null;
            if (plan.hasIdentity()) {
                if (!same(src.md, outMd)) {
                    throw new IllegalStateException(key + ": input and output layouts differ");
                }
                identity = new Norm(key + "rbr_identity.", src.md, plan.outChannels(), (long) batch * h * h);
            }
            Buf out = buffer(outMd);
            Buf pointwiseNormed = forwardPointwise.view(outMd);
            forward.add(op(dense.forward, key + " 3x3", DNNL_ARG_SRC, src, DNNL_ARG_WEIGHTS, dense.param.value,
                    DNNL_ARG_DST, denseOut));
            forward.add(op(pointwise.forward, key + " 1x1", DNNL_ARG_SRC, src, DNNL_ARG_WEIGHTS, pointwise.param.value,
                    DNNL_ARG_DST, pointwiseOut));
            forward.add(denseNorm.forward(denseOut, out));
            forward.add(pointwiseNorm.forward(pointwiseOut, pointwiseNormed));
            if (identity != null) {
                Buf identityNormed = forwardIdentity.view(outMd);
                forward.add(identity.forward(src, identityNormed));
                forward.add(sum(out, out, pointwiseNormed, identityNormed));
            } else {
                forward.add(sum(out, out, pointwiseNormed));
            }
            forward.add(op(relu(outMd), key + " relu", DNNL_ARG_SRC, out, DNNL_ARG_DST, out));
            blocks.add(new Block(plan, dense, pointwise, denseNorm, pointwiseNorm, identity, src, denseOut, pointwiseOut,
                    out));
            x = out;
            h = hout;
        }
        int features = spec.featureChannels();

        // Head: average over the last map, then the linear layer.
        dnnl_pooling_desc_t pool = new dnnl_pooling_desc_t();
        Dnnl.check(dnnl_pooling_forward_desc_init(pool, dnnl_forward_training, dnnl_pooling_avg_exclude_padding, x.md,
                any(batch, features, 1, 1), new long[] {1, 1}, new long[] {h, h}, new long[] {0, 0}, new long[] {0, 0}),
                "describing the average pooling");
        dnnl_primitive_desc poolPd = primitiveDesc(pool, null, "average pooling");
        Buf pooled = buffer(dnnl_primitive_desc_query_md(poolPd, dnnl_query_dst_md, 0));
        forward.add(op(poolPd, "pooling", DNNL_ARG_SRC, x, DNNL_ARG_DST, pooled));
        logits = buffer(desc(dnnl_nc, batch, classes));
        dnnl_inner_product_desc_t ip = new dnnl_inner_product_desc_t();
        Dnnl.check(dnnl_inner_product_forward_desc_init(ip, dnnl_forward_training, pooled.md,
                any(classes, features, 1, 1), desc(dnnl_x, classes), logits.md), "describing the linear layer");
        dnnl_primitive_desc ipPd = primitiveDesc(ip, null, "linear layer");
        Param linearWeight = param("linear.weight", dnnl_primitive_desc_query_md(ipPd, dnnl_query_weights_md, 0),
                desc(dnnl_oihw, classes, features, 1, 1), true);
        Param linearBias = param("linear.bias", desc(dnnl_x, classes), desc(dnnl_x, classes), false);
        forward.add(op(ipPd, "linear", DNNL_ARG_SRC, pooled, DNNL_ARG_WEIGHTS, linearWeight.value, DNNL_ARG_BIAS,
                linearBias.value, DNNL_ARG_DST, logits));

        // Backward, from the loss's gradient to the first block's weights.
        logitsGradient = buffer(logits.md);
        dnnl_inner_product_desc_t ipWeights = new dnnl_inner_product_desc_t();
        Dnnl.check(dnnl_inner_product_backward_weights_desc_init(ipWeights, pooled.md, linearWeight.value.md,
                linearBias.value.md, logitsGradient.md), "describing the linear layer's weight gradient");
        backward.add(op(primitiveDesc(ipWeights, ipPd, "linear layer's weight gradient"), "linear weight gradient",
                DNNL_ARG_SRC, pooled, DNNL_ARG_DIFF_DST, logitsGradient, DNNL_ARG_DIFF_WEIGHTS, linearWeight.gradient,
                DNNL_ARG_DIFF_BIAS, linearBias.gradient));
        Buf pooledGradient = buffer(pooled.md);
        dnnl_inner_product_desc_t ipData = new dnnl_inner_product_desc_t();
        Dnnl.check(dnnl_inner_product_backward_data_desc_init(ipData, pooledGradient.md, linearWeight.value.md,
                logitsGradient.md), "describing the linear layer's input gradient");
        backward.add(op(primitiveDesc(ipData, ipPd, "linear layer's input gradient"), "linear input gradient",
                DNNL_ARG_DIFF_DST, logitsGradient, DNNL_ARG_WEIGHTS, linearWeight.value, DNNL_ARG_DIFF_SRC,
                pooledGradient));
        Slot[] inputGradients = {new Slot(), new Slot()};
        int dxSlot = 0;
        Buf dx = inputGradients[dxSlot].view(x.md);
        dnnl_pooling_desc_t poolBack = new dnnl_pooling_desc_t();
        Dnnl.check(dnnl_pooling_backward_desc_init(poolBack, dnnl_pooling_avg_exclude_padding, dx.md, pooledGradient.md,
                new long[] {1, 1}, new long[] {h, h}, new long[] {0, 0}, new long[] {0, 0}),
                "describing the pooling's gradient");
        backward.add(op(primitiveDesc(poolBack, poolPd, "pooling's gradient"), "pooling gradient", DNNL_ARG_DIFF_DST,
                pooledGradient, DNNL_ARG_DIFF_SRC, dx));

        // The branches' gradients in slots the blocks share, as they run one after the other; the gradient
        // of a block's input alternates between two, since it is the next block's output gradient.
        Slot denseSlot = new Slot();
        Slot pointwiseSlot = new Slot();
        Slot identitySlot = new Slot();
        Slot fromPointwiseSlot = new Slot();
        for (int i = blocks.size() - 1; i >= 0; i--) {
            Block b = blocks.get(i);
            String key = b.plan().keyPrefix();
            dnnl_memory_desc_t outMd = b.out().md;
            // ReLU's gradient in place: dx becomes the gradient of the branches' sum.
            backward.add(op(reluBackward(outMd), key + " relu gradient", DNNL_ARG_DST, b.out(), DNNL_ARG_DIFF_DST, dx,
                    DNNL_ARG_DIFF_SRC, dx));
            Buf denseGradient = denseSlot.view(outMd);
            Buf pointwiseGradient = pointwiseSlot.view(outMd);
            backward.add(b.denseNorm().backward(b.denseOut(), dx, denseGradient));
            backward.add(b.pointwiseNorm().backward(b.pointwiseOut(), dx, pointwiseGradient));
            boolean first = i == 0;
            Buf identityGradient = null;
            if (b.identity() != null) {
                identityGradient = identitySlot.view(b.in().md);
                backward.add(b.identity().backward(b.in(), dx, identityGradient));
            }
            Buf inputFromDense = first ? null : inputGradients[1 - dxSlot].view(b.in().md);
            Buf inputFromPointwise = first ? null : fromPointwiseSlot.view(b.in().md);
            b.dense().backward(b.in(), denseGradient, inputFromDense);
            b.pointwise().backward(b.in(), pointwiseGradient, inputFromPointwise);
            if (!first) {
                if (identityGradient != null) {
                    backward.add(sum(inputFromDense, inputFromDense, inputFromPointwise, identityGradient));
                } else {
                    backward.add(sum(inputFromDense, inputFromDense, inputFromPointwise));
                }
                dx = inputFromDense;
                dxSlot = 1 - dxSlot;
            }
        }
        for (Slot slot : List.of(forwardPointwise, forwardIdentity, inputGradients[0], inputGradients[1], denseSlot,
                pointwiseSlot, identitySlot, fromPointwiseSlot)) {
            slot.bind();
        }
    }

    /** A convolution without bias (3x3 with padding 1, or 1x1) and its two backward passes. */
    private final class Conv {
        final Param param;
        final dnnl_primitive_desc forward;
        final BlockPlan plan;
        final int kernel;
        Buf output;

        Conv(String key, BlockPlan plan, int kernel, int h, int hout, dnnl_memory_desc_t src, dnnl_memory_desc_t dst) {
            this.plan = plan;
            this.kernel = kernel;
            dnnl_convolution_desc_t d = new dnnl_convolution_desc_t();
            Dnnl.check(dnnl_convolution_forward_desc_init(d, dnnl_forward_training, dnnl_convolution_direct,
                    src != null ? src : any(batch, plan.inChannels(), h, h), anyWeights(), null,
                    dst != null ? dst : any(batch, plan.outChannels(), hout, hout), strides(), padding(), padding()),
                    "describing convolution " + key);
            forward = primitiveDesc(d, null, "convolution " + key);
            param = param(key, dnnl_primitive_desc_query_md(forward, dnnl_query_weights_md, 0), plainWeights(), true);
        }

        long[] strides() {
            return new long[] {plan.stride(), plan.stride()};
        }

        long[] padding() {
            return new long[] {kernel / 2, kernel / 2};
        }

        long[] weightDims() {
            int g = plan.groups();
            return g == 1 ? new long[] {plan.outChannels(), plan.inChannels(), kernel, kernel}
                    : new long[] {g, plan.outChannels() / g, plan.inChannels() / g, kernel, kernel};
        }

        dnnl_memory_desc_t anyWeights() {
            return any(weightDims());
        }

        dnnl_memory_desc_t plainWeights() {
            return desc(plan.groups() == 1 ? dnnl_oihw : dnnl_goihw, weightDims());
        }

        /** The weight gradient into the parameter, and the input's gradient into {@code inputGradient} unless null. */
        void backward(Buf src, Buf outputGradient, Buf inputGradient) {
            dnnl_convolution_desc_t dw = new dnnl_convolution_desc_t();
            Dnnl.check(dnnl_convolution_backward_weights_desc_init(dw, dnnl_convolution_direct, src.md, anyWeights(),
                    null, outputGradient.md, strides(), padding(), padding()), "describing a weight gradient of " + param.key);
            dnnl_primitive_desc weightsPd = primitiveDesc(dw, forward, "weight gradient of " + param.key);
            Buf weightsSrc = src;
            Buf weightsGradient = outputGradient;
            if (Dnnl.implementation(weightsPd).startsWith("ref")) {
                // No optimised kernel takes the blocked layouts for this shape (with AVX2 alone, 3x3 on 2x2
                // maps): the reference one took 300 ms where a step takes 60. In plain NCHW oneDNN has its
                // im2col + GEMM kernel; the two small copies into NCHW cost far less.
                Buf plainSrc = buffer(plain(src.md));
                Buf plainGradient = buffer(plain(outputGradient.md));
                dnnl_convolution_desc_t plainDw = new dnnl_convolution_desc_t();
                Dnnl.check(dnnl_convolution_backward_weights_desc_init(plainDw, dnnl_convolution_direct, plainSrc.md,
                        anyWeights(), null, plainGradient.md, strides(), padding(), padding()),
                        "describing a weight gradient of " + param.key + " in NCHW");
                dnnl_primitive_desc plainPd = primitiveDesc(plainDw, forward, "weight gradient of " + param.key);
                if (!Dnnl.implementation(plainPd).startsWith("ref")) {
                    OneDnnTraining.this.backward.add(owned(reorder(src, plainSrc, param.key + " input in NCHW")));
                    OneDnnTraining.this.backward.add(owned(reorder(outputGradient, plainGradient,
                            param.key + " output gradient in NCHW")));
                    weightsSrc = plainSrc;
                    weightsGradient = plainGradient;
                    weightsPd = plainPd;
                }
            }
            dnnl_memory_desc_t gradientMd = dnnl_primitive_desc_query_md(weightsPd, dnnl_query_diff_weights_md, 0);
            if (same(gradientMd, param.gradient.md)) {
                OneDnnTraining.this.backward.add(op(weightsPd, param.key + " gradient", DNNL_ARG_SRC, weightsSrc,
                        DNNL_ARG_DIFF_DST, weightsGradient, DNNL_ARG_DIFF_WEIGHTS, param.gradient));
            } else {
                Buf theirs = buffer(gradientMd);
                OneDnnTraining.this.backward.add(op(weightsPd, param.key + " gradient", DNNL_ARG_SRC, weightsSrc,
                        DNNL_ARG_DIFF_DST, weightsGradient, DNNL_ARG_DIFF_WEIGHTS, theirs));
                OneDnnTraining.this.backward.add(owned(reorder(theirs, param.gradient, param.key + " gradient's layout")));
            }
            if (inputGradient == null) {
                return;
            }
            dnnl_convolution_desc_t dd = new dnnl_convolution_desc_t();
            Dnnl.check(dnnl_convolution_backward_data_desc_init(dd, dnnl_convolution_direct, inputGradient.md,
                    anyWeights(), outputGradient.md, strides(), padding(), padding()),
                    "describing the input gradient of " + param.key);
            dnnl_primitive_desc dataPd = primitiveDesc(dd, forward, "input gradient of " + param.key);
            dnnl_memory_desc_t weightsMd = dnnl_primitive_desc_query_md(dataPd, dnnl_query_weights_md, 0);
            Buf weights = param.value;
            if (!same(weightsMd, param.value.md)) {
                // Refreshed from the weights before each backward pass (they change at every update).
                weights = buffer(weightsMd);
                weightLayouts.add(owned(reorder(param.value, weights, param.key + " for the input gradient")));
            }
            OneDnnTraining.this.backward.add(op(dataPd, param.key + " input gradient", DNNL_ARG_DIFF_DST, outputGradient,
                    DNNL_ARG_WEIGHTS, weights, DNNL_ARG_DIFF_SRC, inputGradient));
        }
    }

    /** A batch norm on the batch's statistics, its running statistics kept in Java as PyTorch updates them. */
    private final class Norm {
        final String prefix;
        final Param gamma;
        final Param beta;
        final Buf mean;
        final Buf variance;
        final dnnl_primitive_desc forwardPd;
        final dnnl_primitive_desc backwardPd;
        final float[] runningMean;
        final float[] runningVar;
        final float[] batchMean;
        final float[] batchVar;
        final long count;

        Norm(String prefix, dnnl_memory_desc_t data, int channels, long count) {
            this.prefix = prefix;
            this.count = count;
            dnnl_batch_normalization_desc_t f = new dnnl_batch_normalization_desc_t();
            Dnnl.check(dnnl_batch_normalization_forward_desc_init(f, dnnl_forward_training, data, EPS,
                    dnnl_use_scale | dnnl_use_shift), "describing batch norm " + prefix);
            forwardPd = primitiveDesc(f, null, "batch norm " + prefix);
            dnnl_batch_normalization_desc_t b = new dnnl_batch_normalization_desc_t();
            Dnnl.check(dnnl_batch_normalization_backward_desc_init(b, dnnl_backward, data, data, EPS,
                    dnnl_use_scale | dnnl_use_shift), "describing the gradient of batch norm " + prefix);
            backwardPd = primitiveDesc(b, forwardPd, "gradient of batch norm " + prefix);
            dnnl_memory_desc_t vector = desc(dnnl_x, channels);
            gamma = param(prefix + "weight", vector, vector, false);
            beta = param(prefix + "bias", vector, vector, false);
            mean = buffer(vector);
            variance = buffer(vector);
            runningMean = new float[channels];
            runningVar = new float[channels];
            batchMean = new float[channels];
            batchVar = new float[channels];
            Arrays.fill(runningVar, 1f);
            norms.add(this);
        }

        Op forward(Buf src, Buf dst) {
            return op(forwardPd, prefix + " batch norm", DNNL_ARG_SRC, src, DNNL_ARG_DST, dst, DNNL_ARG_MEAN, mean,
                    DNNL_ARG_VARIANCE, variance, DNNL_ARG_SCALE, gamma.value, DNNL_ARG_SHIFT, beta.value);
        }

        Op backward(Buf src, Buf outputGradient, Buf inputGradient) {
            return op(backwardPd, prefix + " batch norm gradient", DNNL_ARG_SRC, src, DNNL_ARG_DIFF_DST, outputGradient,
                    DNNL_ARG_DIFF_SRC, inputGradient, DNNL_ARG_MEAN, mean, DNNL_ARG_VARIANCE, variance,
                    DNNL_ARG_SCALE, gamma.value, DNNL_ARG_SHIFT, beta.value, DNNL_ARG_DIFF_SCALE, gamma.gradient,
                    DNNL_ARG_DIFF_SHIFT, beta.gradient);
        }

        /** PyTorch's update: the biased batch variance normalises, the unbiased one enters the running average. */
        void updateRunning() {
            mean.data.get(batchMean, 0, batchMean.length);
            variance.data.get(batchVar, 0, batchVar.length);
            double unbias = (double) count / Math.max(1, count - 1);
            for (int c = 0; c < batchMean.length; c++) {
                runningMean[c] = (1 - BN_MOMENTUM) * runningMean[c] + BN_MOMENTUM * batchMean[c];
                runningVar[c] = (float) ((1 - BN_MOMENTUM) * runningVar[c] + BN_MOMENTUM * batchVar[c] * unbias);
            }
        }
    }

    /** A parameter: value, gradient and momentum buffer in one layout, and its plain (PyTorch) layout. */
    private static final class Param {
        final String key;
        final Buf value;
        final Buf gradient;
        final Buf momentum;
        final dnnl_memory_desc_t plain;
        final boolean decays;

        Param(String key, Buf value, Buf gradient, Buf momentum, dnnl_memory_desc_t plain, boolean decays) {
            this.key = key;
            this.value = value;
            this.gradient = gradient;
            this.momentum = momentum;
            this.plain = plain;
            this.decays = decays;
        }
    }

    private Param param(String key, dnnl_memory_desc_t layout, dnnl_memory_desc_t plain, boolean decays) {
        Param p = new Param(key, buffer(layout), buffer(layout), buffer(layout), plain, decays);
        params.add(p);
        return p;
    }

    // ---------------------------------------------------------------------------------------------
    // Training

    /**
     * Forward and backward for one batch: {@code images} NCHW, {@code targets} per image a class
     * distribution ({@code batch x classes}: one-hot, or a mixed batch's), smoothed by
     * {@code smoothing} as {@code LabelSmoothingLoss} does. The gradients are then in place for {@link #update}.
     */
    public Outcome forwardBackward(float[] images, float[] targets, float smoothing) {
        if (images.length != (long) batch * 3 * size * size) {
            throw new IllegalArgumentException(images.length + " input values, a batch of " + batch + " at 3x" + size
                    + "x" + size + " needs " + (long) batch * 3 * size * size);
        }
        if (targets.length != batch * classes) {
            throw new IllegalArgumentException(targets.length + " target values, " + batch + "x" + classes + " expected");
        }
        return Dnnl.onItsThread(() -> {
            Dnnl.useThreads(threads);
            input.data.put(images, 0, images.length);
            run(forward);
            logits.data.get(logitValues, 0, logitValues.length);
            Outcome outcome = loss(targets, smoothing);
            logitsGradient.data.put(gradientValues, 0, gradientValues.length);
            run(weightLayouts);
            run(backward);
            for (Norm n : norms) {
                n.updateRunning();
            }
            return outcome;
        });
    }

    /** Mean label-smoothed cross-entropy over the batch; its gradient by the logits into {@link #gradientValues}. */
    private Outcome loss(float[] targets, float smoothing) {
        double total = 0;
        long[] predicted = new long[batch];
        double[] p = new double[classes];
        for (int i = 0; i < batch; i++) {
            int row = i * classes;
            double max = Double.NEGATIVE_INFINITY;
            int top = 0;
            for (int c = 0; c < classes; c++) {
                if (logitValues[row + c] > max) {
                    max = logitValues[row + c];
                    top = c;
                }
            }
            predicted[i] = top;
            double z = 0;
            for (int c = 0; c < classes; c++) {
                p[c] = Math.exp(logitValues[row + c] - max);
                z += p[c];
            }
            double logZ = Math.log(z);
            for (int c = 0; c < classes; c++) {
                double target = targets[row + c] * (1 - smoothing) + smoothing / classes;
                total -= target * (logitValues[row + c] - max - logZ);
                gradientValues[row + c] = (float) ((p[c] / z - target) / batch);
            }
        }
        return new Outcome((float) (total / batch), predicted);
    }

    /**
     * PyTorch's {@code SGD(nesterov=True)} on every parameter: {@code g = grad + wd * w} (conv and
     * linear weights only), {@code v = mu * v + g}, {@code w -= lr * (g + mu * v)}.
     */
    public void update(double learningRate, float momentum, float weightDecay) {
        float lr = (float) learningRate;
        params.parallelStream().forEach(p -> {
            FloatBuffer w = p.value.data.asBuffer();
            FloatBuffer g = p.gradient.data.asBuffer();
            FloatBuffer v = p.momentum.data.asBuffer();
            float decay = p.decays ? weightDecay : 0f;
            int n = (int) p.value.floats;
            for (int i = 0; i < n; i++) {
                float wi = w.get(i);
                float gi = g.get(i) + decay * wi;
                float vi = momentum * v.get(i) + gi;
                v.put(i, vi);
                w.put(i, wi - lr * (gi + momentum * vi));
            }
        });
    }

    // ---------------------------------------------------------------------------------------------
    // Parameters in and out, under the official keys and in PyTorch's layouts

    /**
     * Sets every weight, bias and BN running statistic from {@code tensors} (official keys, plain
     * layouts as {@code float[]}); a missing key or a wrong size is an error naming the key.
     */
    public void load(Map<String, float[]> tensors) {
        Dnnl.onItsThread(() -> {
            for (Param p : params) {
                copyIn(p.value, p.plain, required(tensors, p.key, floats(p.plain)), p.key);
            }
            for (Norm n : norms) {
                System.arraycopy(required(tensors, n.prefix + "running_mean", n.runningMean.length), 0, n.runningMean, 0,
                        n.runningMean.length);
                System.arraycopy(required(tensors, n.prefix + "running_var", n.runningVar.length), 0, n.runningVar, 0,
                        n.runningVar.length);
            }
            return null;
        });
    }

    /** Sets the momentum buffers present in {@code velocity} (official keys, plain layouts); the others start at zero. */
    public void loadVelocity(Map<String, float[]> velocity) {
        Dnnl.onItsThread(() -> {
            for (Param p : params) {
                float[] v = velocity.get(p.key);
                if (v != null) {
                    copyIn(p.momentum, p.plain, checkedSize(v, p.key, floats(p.plain)), p.key);
                }
            }
            return null;
        });
    }

    /** Every weight, bias and BN running statistic, in the official keys' order of blocks. */
    public Map<String, float[]> weights() {
        return Dnnl.onItsThread(() -> {
            Map<String, float[]> out = new LinkedHashMap<>();
            for (Param p : params) {
                out.put(p.key, copyOut(p.value, p.plain));
            }
            for (Norm n : norms) {
                out.put(n.prefix + "running_mean", n.runningMean.clone());
                out.put(n.prefix + "running_var", n.runningVar.clone());
            }
            return out;
        });
    }

    /** The gradients of the last {@link #forwardBackward}, by parameter key. */
    public Map<String, float[]> gradients() {
        return perParameter(p -> p.gradient);
    }

    /** The momentum buffers, by parameter key. */
    public Map<String, float[]> velocity() {
        return perParameter(p -> p.momentum);
    }

    /** One buffer of each parameter, plain, by key. */
    private Map<String, float[]> perParameter(java.util.function.Function<Param, Buf> which) {
        return Dnnl.onItsThread(() -> {
            Map<String, float[]> out = new LinkedHashMap<>();
            for (Param p : params) {
                out.put(p.key, copyOut(which.apply(p), p.plain));
            }
            return out;
        });
    }

    private static float[] required(Map<String, float[]> tensors, String key, long floats) {
        float[] v = tensors.get(key);
        if (v == null) {
            throw new IllegalArgumentException("no tensor for key '" + key + "'");
        }
        return checkedSize(v, key, floats);
    }

    private static float[] checkedSize(float[] v, String key, long floats) {
        if (v.length != floats) {
            throw new IllegalArgumentException("'" + key + "' has " + v.length + " values, the network needs " + floats);
        }
        return v;
    }

    private void copyIn(Buf target, dnnl_memory_desc_t plain, float[] values, String key) {
        if (same(plain, target.md)) {
            target.data.put(values, 0, values.length);
            return;
        }
        try (Buf staging = new Buf(plain)) {
            staging.data.put(values, 0, values.length);
            try (Op r = reorder(staging, target, key)) {
                r.run();
            }
            Dnnl.check(dnnl_stream_wait(Dnnl.stream()), "reordering " + key);
        }
    }

    private static long floats(dnnl_memory_desc_t md) {
        return dnnl_memory_desc_get_size(md) / Float.BYTES;
    }

    private float[] copyOut(Buf source, dnnl_memory_desc_t plain) {
        float[] values = new float[(int) floats(plain)];
        if (same(plain, source.md)) {
            source.data.get(values, 0, values.length);
            return values;
        }
        try (Buf staging = new Buf(plain)) {
            try (Op r = reorder(source, staging, "a copy out")) {
                r.run();
            }
            Dnnl.check(dnnl_stream_wait(Dnnl.stream()), "copying out");
            staging.data.get(values, 0, values.length);
        }
        return values;
    }

    // ---------------------------------------------------------------------------------------------
    // One convolution alone, for ConvolutionCheck

    /**
     * One convolution of problem {@code p} as this graph computes it (the same primitives, layouts
     * chosen the same way): from NCHW {@code input}, OIHW {@code weight} and {@code upstream} (the
     * output's gradient), its output, input gradient and weight gradient, plain. The check that
     * oneDNN computes a network's convolutions right on this machine runs each of them through here
     * ({@code ConvolutionCheck.check(manager, p, seed, OneDnnTraining::convolve)}).
     */
    public static float[][] convolve(ConvolutionCheck.Problem p, float[] input, float[] weight, float[] upstream) {
        OneDnnTraining scratch = new OneDnnTraining(p.batch(), p.size(), 1, Runtime.getRuntime().availableProcessors());
        try {
            return Dnnl.onItsThread(() -> scratch.convolveHere(p, input, weight, upstream));
        } finally {
            scratch.close();
        }
    }

    private float[][] convolveHere(ConvolutionCheck.Problem p, float[] input, float[] weight, float[] upstream) {
        Dnnl.useThreads(threads);
        BlockPlan plan = new BlockPlan(1, 0, 1, p.inChannels(), p.outChannels(), p.stride(), p.groups(), false);
        int out = p.outputSize();
        Conv conv = new Conv("weight", plan, p.kernel(), p.size(), out, null, null);
        Buf src = buffer(dnnl_primitive_desc_query_md(conv.forward, dnnl_query_src_md, 0));
        Buf dst = buffer(dnnl_primitive_desc_query_md(conv.forward, dnnl_query_dst_md, 0));
        Buf dstGradient = buffer(dst.md);
        Buf srcGradient = buffer(src.md);
        dnnl_memory_desc_t plainSrc = desc(dnnl_nchw, p.batch(), p.inChannels(), p.size(), p.size());
        dnnl_memory_desc_t plainDst = desc(dnnl_nchw, p.batch(), p.outChannels(), out, out);
        copyIn(src, plainSrc, input, "input");
        copyIn(conv.param.value, conv.param.plain, weight, "weight");
        copyIn(dstGradient, plainDst, upstream, "upstream gradient");
        List<Op> ops = new ArrayList<>();
        ops.add(op(conv.forward, "convolution", DNNL_ARG_SRC, src, DNNL_ARG_WEIGHTS, conv.param.value, DNNL_ARG_DST, dst));
        int before = backward.size();
        conv.backward(src, dstGradient, srcGradient);
        ops.addAll(weightLayouts);
        ops.addAll(backward.subList(before, backward.size()));
        run(ops);
        return new float[][] {copyOut(dst, plainDst), copyOut(srcGradient, plainSrc), copyOut(conv.param.gradient,
                conv.param.plain)};
    }

    // ---------------------------------------------------------------------------------------------
    // oneDNN plumbing

    private static void run(List<Op> ops) {
        for (Op o : ops) {
            o.run();
        }
        Dnnl.check(dnnl_stream_wait(Dnnl.stream()), "waiting for oneDNN");
    }

    /** Native floats on a 64-byte boundary and a oneDNN memory over them. */
    private static final class Buf implements AutoCloseable {
        final dnnl_memory_desc_t md;
        final long floats;
        final FloatPointer block;
        FloatPointer data;
        final dnnl_memory memory = new dnnl_memory();

        Buf(dnnl_memory_desc_t md) {
            this.md = md;
            this.floats = dnnl_memory_desc_get_size(md) / Float.BYTES;
            this.block = new FloatPointer(floats + 16);
            this.data = Dnnl.aligned(block, floats);
            Pointer.memset(data, 0, floats * Float.BYTES);
            Dnnl.check(dnnl_memory_create(memory, md, Dnnl.engine(), data), "creating a memory object");
        }

        /** A memory without data yet: a view of a {@link Slot}, given its data when the graph is built. */
        Buf(dnnl_memory_desc_t md, Slot slot) {
            this.md = md;
            this.floats = dnnl_memory_desc_get_size(md) / Float.BYTES;
            this.block = null;
            Dnnl.check(dnnl_memory_create(memory, md, Dnnl.engine(), null), "creating a memory object");
            slot.views.add(this);
            slot.floats = Math.max(slot.floats, floats);
        }

        @Override
        public void close() {
            dnnl_memory_destroy(memory);
            if (block != null) {
                block.close();
            }
        }
    }

    /**
     * One buffer that blocks take turns with: a temporary of each block's forward pass, or one role in
     * the backward pass (the gradients of a block's branches, which the block below no longer needs),
     * sized for the largest block. Without them every block kept a dozen buffers of its own.
     */
    private final class Slot {
        final List<Buf> views = new ArrayList<>();
        long floats;

        Buf view(dnnl_memory_desc_t md) {
            Buf b = new Buf(md, this);
            natives.add(b);
            return b;
        }

        /** Allocates the slot and points every view at it. */
        void bind() {
            if (views.isEmpty()) {
                return;
            }
            FloatPointer block = new FloatPointer(floats + 16);
            natives.add(block);
            FloatPointer data = Dnnl.aligned(block, floats);
            Pointer.memset(data, 0, floats * Float.BYTES);
            for (Buf b : views) {
                b.data = data;
                Dnnl.check(dnnl_memory_set_data_handle(b.memory, data), "binding a buffer");
            }
        }
    }

    private Buf buffer(dnnl_memory_desc_t md) {
        Buf b = new Buf(md);
        natives.add(b);
        return b;
    }

    /** One primitive with its arguments bound. */
    private record Op(dnnl_primitive primitive, dnnl_exec_arg_t args, int count, String what) implements AutoCloseable {
        void run() {
            Dnnl.check(dnnl_primitive_execute(primitive, Dnnl.stream(), count, args), what);
        }

        @Override
        public void close() {
            dnnl_primitive_destroy(primitive);
            args.close();
        }
    }

    /** A primitive for {@code pd}, with (argument id, buffer) pairs; each buffer's layout must be the primitive's. */
    private Op op(dnnl_primitive_desc pd, String what, Object... pairs) {
        Op o = unowned(pd, what, pairs);
        natives.add(o);
        return o;
    }

    private static Op unowned(dnnl_primitive_desc pd, String what, Object... pairs) {
        int n = pairs.length / 2;
        dnnl_exec_arg_t args = new dnnl_exec_arg_t(n);
        for (int i = 0; i < n; i++) {
            int id = (Integer) pairs[2 * i];
            Buf b = (Buf) pairs[2 * i + 1];
            dnnl_memory_desc_t wanted = dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, id);
            if (wanted == null || !same(wanted, b.md)) {
                throw new IllegalStateException("oneDNN: " + what + ": argument " + id + " is not in the primitive's layout");
            }
            args.position(i).arg(id).memory(b.memory);
        }
        dnnl_primitive primitive = new dnnl_primitive();
        Dnnl.check(dnnl_primitive_create(primitive, pd), "creating the primitive of " + what);
        return new Op(primitive, args.position(0), n, what);
    }

    private Op owned(Op o) {
        natives.add(o);
        return o;
    }

    private Op reorder(Buf from, Buf to, String what) {
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        Dnnl.check(dnnl_reorder_primitive_desc_create(pd, from.md, Dnnl.engine(), to.md, Dnnl.engine(), null),
                "setting up the reorder of " + what);
        try {
            return unowned(pd, "reorder of " + what, DNNL_ARG_FROM, from, DNNL_ARG_TO, to);
        } finally {
            dnnl_primitive_desc_destroy(pd);
        }
    }

    /** {@code dst = srcs[0] + srcs[1] + ...} (oneDNN's sum; {@code dst} may be {@code srcs[0]}). */
    private Op sum(Buf dst, Buf... srcs) {
        dnnl_memory_desc_t mds = new dnnl_memory_desc_t(srcs.length);
        for (int i = 0; i < srcs.length; i++) {
            Pointer.memcpy(mds.getPointer(i), srcs[i].md, srcs[i].md.sizeof());
        }
        float[] scales = new float[srcs.length];
        Arrays.fill(scales, 1f);
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        Dnnl.check(dnnl_sum_primitive_desc_create(pd, dst.md, srcs.length, scales, mds, null, Dnnl.engine()),
                "setting up a sum");
        natives.add(() -> dnnl_primitive_desc_destroy(pd));
        Object[] pairs = new Object[2 * srcs.length + 2];
        for (int i = 0; i < srcs.length; i++) {
            pairs[2 * i] = DNNL_ARG_MULTIPLE_SRC + i;
            pairs[2 * i + 1] = srcs[i];
        }
        pairs[2 * srcs.length] = DNNL_ARG_DST;
        pairs[2 * srcs.length + 1] = dst;
        return op(pd, "a sum", pairs);
    }

    private dnnl_primitive_desc relu(dnnl_memory_desc_t data) {
        dnnl_eltwise_desc_t d = new dnnl_eltwise_desc_t();
        Dnnl.check(dnnl_eltwise_forward_desc_init(d, dnnl_forward_training, dnnl_eltwise_relu_use_dst_for_bwd, data, 0f,
                0f), "describing a ReLU");
        return primitiveDesc(d, null, "ReLU");
    }

    private dnnl_primitive_desc reluBackward(dnnl_memory_desc_t data) {
        dnnl_eltwise_desc_t d = new dnnl_eltwise_desc_t();
        Dnnl.check(dnnl_eltwise_backward_desc_init(d, dnnl_eltwise_relu_use_dst_for_bwd, data, data, 0f, 0f),
                "describing a ReLU's gradient");
        return primitiveDesc(d, relu(data), "ReLU's gradient");
    }

    private dnnl_primitive_desc primitiveDesc(Pointer opDesc, dnnl_primitive_desc hint, String what) {
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        Dnnl.check(dnnl_primitive_desc_create(pd, new const_dnnl_op_desc_t(opDesc), null, Dnnl.engine(), hint),
                "setting up " + what);
        natives.add(() -> dnnl_primitive_desc_destroy(pd));
        return pd;
    }

    private static dnnl_memory_desc_t desc(int tag, long... dims) {
        dnnl_memory_desc_t md = new dnnl_memory_desc_t();
        Dnnl.check(dnnl_memory_desc_init_by_tag(md, dims.length, dims, dnnl_f32, tag), "describing a tensor");
        return md;
    }

    /** The same tensor's plain NCHW descriptor. */
    private static dnnl_memory_desc_t plain(dnnl_memory_desc_t md) {
        int n = md.ndims();
        long[] dims = new long[n];
        md.dims().get(dims, 0, n);
        return desc(dnnl_nchw, dims);
    }

    private static dnnl_memory_desc_t any(long... dims) {
        return desc(dnnl_format_tag_any, dims);
    }

    private static boolean same(dnnl_memory_desc_t a, dnnl_memory_desc_t b) {
        return dnnl_memory_desc_equal(a, b) != 0;
    }

    @Override
    public void close() {
        Dnnl.onItsThread(() -> {
            Dnnl.closeAll(natives);
            return null;
        });
    }
}
