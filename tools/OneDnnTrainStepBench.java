import org.bytedeco.javacpp.*;
import org.bytedeco.dnnl.*;
import static org.bytedeco.dnnl.global.dnnl.*;
import java.util.*;

/**
 * A RepVGG-A0 train-form training step (forward, label-smoothed cross-entropy, backward, Nesterov
 * SGD) written on oneDNN 2.7 directly, every activation and weight kept in the blocked layout its
 * primitives asked for, timed on a fixed random batch. A feasibility measurement for a oneDNN training
 * path: how fast a step can be without libtorch's per-operator reorders and allocations
 * (docs/BENCHMARKS.md, "Training speed vs PyTorch"). Threads: OMP_NUM_THREADS.
 *
 *   java -cp "cli/target/lib/*" tools/OneDnnTrainStepBench.java BATCH SIZE CLASSES WARMUP STEPS
 */
public class OneDnnTrainStepBench {
  static dnnl_engine eng;
  static dnnl_stream st;

  static void ck(int s, String what) {
    if (s != dnnl_success) throw new RuntimeException(what + " failed: status " + s);
  }

  static dnnl_memory_desc_t md(int tag, long... dims) {
    dnnl_memory_desc_t d = new dnnl_memory_desc_t();
    ck(dnnl_memory_desc_init_by_tag(d, dims.length, dims, dnnl_f32, tag), "memory desc");
    return d;
  }

  static dnnl_memory_desc_t any(long... dims) { return md(dnnl_format_tag_any, dims); }

  static dnnl_primitive_desc pd(Pointer op, dnnl_primitive_desc hint, String what) {
    dnnl_primitive_desc p = new dnnl_primitive_desc();
    ck(dnnl_primitive_desc_create(p, new const_dnnl_op_desc_t(op), null, eng, hint), what);
    return p;
  }

  static dnnl_memory_desc_t q(dnnl_primitive_desc p, int what) { return dnnl_primitive_desc_query_md(p, what, 0); }

  static String impl(dnnl_primitive_desc p) {
    PointerPointer<BytePointer> name = new PointerPointer<>(1);
    ck(dnnl_primitive_desc_query(p, dnnl_query_impl_info_str, 0, name), "impl");
    return new BytePointer(name.get(0)).getString();
  }

  /** Native floats on a 64-byte boundary with a oneDNN memory over them. */
  static final class Buf {
    final dnnl_memory_desc_t md;
    final FloatPointer p;
    final dnnl_memory mem = new dnnl_memory();
    final long floats;

    Buf(dnnl_memory_desc_t md) {
      this.md = md;
      this.floats = dnnl_memory_desc_get_size(md) / 4;
      FloatPointer block = new FloatPointer(floats + 16);
      long skip = ((64 - block.address() % 64) % 64) / 4;
      this.p = new FloatPointer(block) {
        { address += skip * 4; position = 0; limit = floats; capacity = floats; }
      };
      keep.add(block);
      Pointer.memset(p, 0, floats * 4);
      ck(dnnl_memory_create(mem, md, eng, p), "memory");
    }

    /** The same floats seen through another descriptor of the same size. */
    Buf(Buf base, dnnl_memory_desc_t md) {
      this.md = md;
      this.floats = base.floats;
      this.p = base.p;
      ck(dnnl_memory_create(mem, md, eng, p), "memory view");
    }
  }

  static final List<Object> keep = new ArrayList<>();

  /** One primitive with its bound arguments. */
  record Op(dnnl_primitive prim, dnnl_exec_arg_t args, int n, String what) {
    void run() { ck(dnnl_primitive_execute(prim, st, n, args), what); }
  }

  static Op op(dnnl_primitive_desc p, String what, Object... argPairs) {
    dnnl_primitive prim = new dnnl_primitive();
    ck(dnnl_primitive_create(prim, p), what);
    int n = argPairs.length / 2;
    dnnl_exec_arg_t a = new dnnl_exec_arg_t(n);
    for (int i = 0; i < n; i++) {
      a.position(i).arg((Integer) argPairs[2 * i]).memory(((Buf) argPairs[2 * i + 1]).mem);
      dnnl_memory_desc_t want = dnnl_primitive_desc_query_md(p, dnnl_query_exec_arg_md, (Integer) argPairs[2 * i]);
      if (want == null || !same(want, ((Buf) argPairs[2 * i + 1]).md)) {
        throw new IllegalStateException(what + ": argument " + argPairs[2 * i] + " has another layout than the primitive's");
      }
    }
    keep.add(a);
    return new Op(prim, a.position(0), n, what);
  }

  static Op reorder(Buf from, Buf to, String what) {
    dnnl_primitive_desc p = new dnnl_primitive_desc();
    ck(dnnl_reorder_primitive_desc_create(p, from.md, eng, to.md, eng, null), what);
    return op(p, what, DNNL_ARG_FROM, from, DNNL_ARG_TO, to);
  }

  static boolean same(dnnl_memory_desc_t a, dnnl_memory_desc_t b) { return dnnl_memory_desc_equal(a, b) != 0; }

  /** A parameter: its values, gradient and momentum in one layout, and whether it decays. */
  static final class Param {
    final String name; final Buf w, g, m; final boolean decay;
    Param(String name, dnnl_memory_desc_t md, boolean decay) {
      this.name = name; this.decay = decay; w = new Buf(md); g = new Buf(md); m = new Buf(md);
    }
  }

  static final List<Param> params = new ArrayList<>();
  static final List<Op> forward = new ArrayList<>(), backward = new ArrayList<>(), afterUpdate = new ArrayList<>();
  static final Random rnd = new Random(0);
  static final float EPS = 1e-5f;

  static void fill(Buf b, float scale) {
    float[] v = new float[(int) b.floats];
    for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian() * scale;
    b.p.put(v, 0, v.length);
  }

  static void fillConst(Buf b, float c) {
    float[] v = new float[(int) b.floats];
    Arrays.fill(v, c);
    b.p.put(v, 0, v.length);
  }

  /** A convolution (no bias) with its forward, backward-data and backward-weights primitives. */
  static final class Conv {
    Param w; Buf wData; Buf dst; dnnl_primitive_desc fwd;
    Conv(String name, int n, int cin, int cout, int k, int stride, int h, Buf src, Buf dstLike, List<String> kernels) {
      int pad = k / 2;
      int out = (h + 2 * pad - k) / stride + 1;
      long[] s = {stride, stride}, pl = {pad, pad}, pr = {pad, pad};
      dnnl_convolution_desc_t d = new dnnl_convolution_desc_t();
      dnnl_memory_desc_t dstMd = dstLike != null ? dstLike.md : any(n, cout, out, out);
      ck(dnnl_convolution_forward_desc_init(d, dnnl_forward_training, dnnl_convolution_direct,
          src == null ? any(n, cin, h, h) : src.md, any(cout, cin, k, k), null, dstMd, s, pl, pr), name + " fwd desc");
      fwd = pd(d, null, name + " fwd");
      kernels.add(name + ": " + impl(fwd));
      w = new Param(name + ".weight", q(fwd, dnnl_query_weights_md), true);
      fill(w.w, (float) Math.sqrt(2.0 / (cin * k * k)));
      dst = dstLike != null ? dstLike : new Buf(q(fwd, dnnl_query_dst_md));
      params.add(w);
    }
  }

  /** Batch norm over one buffer: forward (batch statistics) and backward. */
  static final class Bn {
    final String name; Param gamma, beta; Buf mean, var; dnnl_primitive_desc fwd, bwd;
    Bn(String name, Buf data, int c) {
      this.name = name;
      dnnl_batch_normalization_desc_t d = new dnnl_batch_normalization_desc_t();
      ck(dnnl_batch_normalization_forward_desc_init(d, dnnl_forward_training, data.md, EPS, dnnl_use_scale | dnnl_use_shift), name);
      fwd = pd(d, null, name + " fwd");
      dnnl_batch_normalization_desc_t b = new dnnl_batch_normalization_desc_t();
      ck(dnnl_batch_normalization_backward_desc_init(b, dnnl_backward, data.md, data.md, EPS, dnnl_use_scale | dnnl_use_shift), name);
      bwd = pd(b, fwd, name + " bwd");
      gamma = new Param(name + ".weight", md(dnnl_x, c), false);
      beta = new Param(name + ".bias", md(dnnl_x, c), false);
      fillConst(gamma.w, 1f);
      params.add(gamma); params.add(beta);
      mean = new Buf(md(dnnl_x, c)); var = new Buf(md(dnnl_x, c));
    }
    Op forward(Buf src, Buf dst) {
      return op(fwd, name + " fwd", DNNL_ARG_SRC, src, DNNL_ARG_DST, dst, DNNL_ARG_MEAN, mean, DNNL_ARG_VARIANCE, var,
          DNNL_ARG_SCALE, gamma.w, DNNL_ARG_SHIFT, beta.w);
    }
    Op backward(Buf src, Buf diffDst, Buf diffSrc) {
      if (System.getenv("DEBUG_BN") != null) {
        int[] ids = {DNNL_ARG_SRC, DNNL_ARG_DST, DNNL_ARG_DIFF_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_SCALE, DNNL_ARG_SHIFT,
            DNNL_ARG_MEAN, DNNL_ARG_VARIANCE, DNNL_ARG_WORKSPACE, DNNL_ARG_SCRATCHPAD, DNNL_ARG_DIFF_SCALE, DNNL_ARG_DIFF_SHIFT,
            DNNL_ARG_SCALE_SHIFT, DNNL_ARG_DIFF_SCALE_SHIFT};
        for (int id : ids) {
          dnnl_memory_desc_t w = dnnl_primitive_desc_query_md(bwd, dnnl_query_exec_arg_md, id);
          System.out.println(name + " arg " + id + " ndims " + (w == null ? -1 : w.ndims()));
        }
      }
      return op(bwd, name + " bwd", DNNL_ARG_SRC, src, DNNL_ARG_DIFF_DST, diffDst, DNNL_ARG_DIFF_SRC, diffSrc,
          DNNL_ARG_MEAN, mean, DNNL_ARG_VARIANCE, var, DNNL_ARG_SCALE, gamma.w, DNNL_ARG_SHIFT, beta.w,
          DNNL_ARG_DIFF_SCALE, gamma.g, DNNL_ARG_DIFF_SHIFT, beta.g);
    }
  }

  static Op sum(Buf dst, Buf... srcs) {
    dnnl_primitive_desc p = new dnnl_primitive_desc();
    dnnl_memory_desc_t mds = new dnnl_memory_desc_t(srcs.length);
    for (int i = 0; i < srcs.length; i++) {
      dnnl_memory_desc_t one = mds.getPointer(i);
      Pointer.memcpy(one, srcs[i].md, srcs[i].md.sizeof());
    }
    float[] scales = new float[srcs.length];
    Arrays.fill(scales, 1f);
    ck(dnnl_sum_primitive_desc_create(p, dst.md, srcs.length, scales, mds, null, eng), "sum");
    Object[] a = new Object[2 * srcs.length + 2];
    for (int i = 0; i < srcs.length; i++) { a[2 * i] = DNNL_ARG_MULTIPLE_SRC + i; a[2 * i + 1] = srcs[i]; }
    a[2 * srcs.length] = DNNL_ARG_DST; a[2 * srcs.length + 1] = dst;
    return op(p, "sum", a);
  }

  /**
   * Adds one conv's backward primitives: weights gradient into its param (reordered if the backward
   * kernel wants another layout) and the data gradient into {@code diffSrc}.
   */
  static void convBackward(Conv c, String name, Buf src, Buf diffDst, Buf diffSrc, int cin, int cout, int k, int stride,
      List<Op> bwdOps) {
    int pad = k / 2;
    long[] s = {stride, stride}, pl = {pad, pad}, pr = {pad, pad};
    dnnl_convolution_desc_t dw = new dnnl_convolution_desc_t();
    ck(dnnl_convolution_backward_weights_desc_init(dw, dnnl_convolution_direct, src.md, any(cout, cin, k, k), null,
        diffDst.md, s, pl, pr), name + " bwd-w desc");
    dnnl_primitive_desc pw = pd(dw, c.fwd, name + " bwd-w");
    dnnl_memory_desc_t dwMd = q(pw, dnnl_query_diff_weights_md);
    if (same(dwMd, c.w.g.md)) {
      bwdOps.add(op(pw, name + " bwd-w", DNNL_ARG_SRC, src, DNNL_ARG_DIFF_DST, diffDst, DNNL_ARG_DIFF_WEIGHTS, c.w.g));
    } else {
      Buf tmp = new Buf(dwMd);
      bwdOps.add(op(pw, name + " bwd-w", DNNL_ARG_SRC, src, DNNL_ARG_DIFF_DST, diffDst, DNNL_ARG_DIFF_WEIGHTS, tmp));
      bwdOps.add(reorder(tmp, c.w.g, name + " dW reorder"));
      reorders++;
    }
    if (diffSrc == null) return;
    dnnl_convolution_desc_t dd = new dnnl_convolution_desc_t();
    ck(dnnl_convolution_backward_data_desc_init(dd, dnnl_convolution_direct, diffSrc.md, any(cout, cin, k, k),
        diffDst.md, s, pl, pr), name + " bwd-d desc");
    dnnl_primitive_desc pdd = pd(dd, c.fwd, name + " bwd-d");
    dnnl_memory_desc_t wMd = q(pdd, dnnl_query_weights_md);
    Buf wd = c.w.w;
    if (!same(wMd, c.w.w.md)) {
      wd = new Buf(wMd);
      afterUpdate.add(reorder(c.w.w, wd, name + " W reorder for bwd-d"));
      reorders++;
    }
    bwdOps.add(op(pdd, name + " bwd-d", DNNL_ARG_DIFF_DST, diffDst, DNNL_ARG_WEIGHTS, wd, DNNL_ARG_DIFF_SRC, diffSrc));
  }

  static int reorders = 0;

  public static void main(String[] a) throws Exception {
    int n = Integer.parseInt(a[0]), size = Integer.parseInt(a[1]), classes = Integer.parseInt(a[2]);
    int warmup = Integer.parseInt(a[3]), steps = Integer.parseInt(a[4]);
    eng = new dnnl_engine();
    ck(dnnl_engine_create(eng, dnnl_cpu, 0), "engine");
    st = new dnnl_stream();
    ck(dnnl_stream_create(st, eng, dnnl_stream_default_flags), "stream");
    List<String> kernels = new ArrayList<>();

    int[][] stages = {{48, 1}, {48, 2}, {96, 4}, {192, 14}, {1280, 1}};
    Buf input = new Buf(md(dnnl_nchw, n, 3, size, size));
    fill(input, 1f);
    Buf x = input;
    int cin = 3, h = size, blocks = 0;
    // Backward is built after the forward, in reverse; keep what each block needs.
    record Block(String name, Conv c3, Conv c1, Bn b3, Bn b1, Bn bid, Buf in, Buf y3, Buf y1, Buf out, int cin, int cout,
        int stride, int hin) {}
    List<Block> blockList = new ArrayList<>();
    for (int[] stage : stages) {
      for (int i = 0; i < stage[1]; i++) {
        int cout = stage[0], stride = i == 0 ? 2 : 1;
        String name = "block" + blocks++;
        Conv c3 = new Conv(name + ".dense", n, cin, cout, 3, stride, h, x == input ? null : x, null, kernels);
        Buf src = x;
        dnnl_memory_desc_t wantSrc = q(c3.fwd, dnnl_query_src_md);
        if (!same(wantSrc, x.md)) {
          // only the network's input (plain NCHW) should get here
          Buf r = new Buf(wantSrc);
          forward.add(reorder(x, r, name + " input reorder"));
          reorders++;
          src = r;
        }
        Conv c1 = new Conv(name + ".1x1", n, cin, cout, 1, stride, h, src, c3.dst, kernels);
        c1.dst = new Buf(c3.dst.md);
        int hout = (h + 2 - 3) / stride + 1;
        Bn b3 = new Bn(name + ".dense.bn", c3.dst, cout), b1 = new Bn(name + ".1x1.bn", c1.dst, cout);
        Bn bid = cin == cout && stride == 1 ? new Bn(name + ".identity", src, cout) : null;
        if (bid != null && !same(src.md, c3.dst.md)) throw new IllegalStateException(name + ": input and output layouts differ");
        Buf out = new Buf(c3.dst.md), t1 = new Buf(c3.dst.md), t2 = bid != null ? new Buf(c3.dst.md) : null;
        forward.add(op(c3.fwd, name + " conv3", DNNL_ARG_SRC, src, DNNL_ARG_WEIGHTS, c3.w.w, DNNL_ARG_DST, c3.dst));
        forward.add(op(c1.fwd, name + " conv1", DNNL_ARG_SRC, src, DNNL_ARG_WEIGHTS, c1.w.w, DNNL_ARG_DST, c1.dst));
        forward.add(b3.forward(c3.dst, out));
        forward.add(b1.forward(c1.dst, t1));
        if (bid != null) {
          forward.add(bid.forward(src, t2));
          forward.add(sum(out, out, t1, t2));
        } else {
          forward.add(sum(out, out, t1));
        }
        dnnl_eltwise_desc_t rd = new dnnl_eltwise_desc_t();
        ck(dnnl_eltwise_forward_desc_init(rd, dnnl_forward_training, dnnl_eltwise_relu_use_dst_for_bwd, out.md, 0f, 0f), "relu");
        dnnl_primitive_desc rpd = pd(rd, null, name + " relu");
        forward.add(op(rpd, name + " relu", DNNL_ARG_SRC, out, DNNL_ARG_DST, out));
        blockList.add(new Block(name, c3, c1, b3, b1, bid, src, c3.dst, c1.dst, out, cin, cout, stride, h));
        x = out; cin = cout; h = hout;
      }
    }
    // Head: average pool to 1x1, linear.
    dnnl_pooling_desc_t pool = new dnnl_pooling_desc_t();
    ck(dnnl_pooling_forward_desc_init(pool, dnnl_forward_training, dnnl_pooling_avg_exclude_padding, x.md,
        any(n, cin, 1, 1), new long[] {1, 1}, new long[] {h, h}, new long[] {0, 0}, new long[] {0, 0}), "pool");
    dnnl_primitive_desc poolPd = pd(pool, null, "pool");
    Buf pooled = new Buf(q(poolPd, dnnl_query_dst_md));
    forward.add(op(poolPd, "pool", DNNL_ARG_SRC, x, DNNL_ARG_DST, pooled));
    dnnl_inner_product_desc_t ip = new dnnl_inner_product_desc_t();
    Buf logits = new Buf(md(dnnl_nc, n, classes));
    ck(dnnl_inner_product_forward_desc_init(ip, dnnl_forward_training, pooled.md, any(classes, cin, 1, 1),
        md(dnnl_x, classes), logits.md), "ip");
    dnnl_primitive_desc ipPd = pd(ip, null, "ip");
    Param fcw = new Param("linear.weight", q(ipPd, dnnl_query_weights_md), true);
    Param fcb = new Param("linear.bias", md(dnnl_x, classes), false);
    fill(fcw.w, (float) Math.sqrt(1.0 / cin));
    params.add(fcw); params.add(fcb);
    forward.add(op(ipPd, "ip", DNNL_ARG_SRC, pooled, DNNL_ARG_WEIGHTS, fcw.w, DNNL_ARG_BIAS, fcb.w, DNNL_ARG_DST, logits));

    // Backward of the head.
    Buf dLogits = new Buf(logits.md);
    dnnl_inner_product_desc_t ipbw = new dnnl_inner_product_desc_t();
    ck(dnnl_inner_product_backward_weights_desc_init(ipbw, pooled.md, fcw.w.md, fcb.g.md, dLogits.md), "ip bwd-w");
    backward.add(op(pd(ipbw, ipPd, "ip bwd-w"), "ip bwd-w", DNNL_ARG_SRC, pooled, DNNL_ARG_DIFF_DST, dLogits,
        DNNL_ARG_DIFF_WEIGHTS, fcw.g, DNNL_ARG_DIFF_BIAS, fcb.g));
    Buf dPooled = new Buf(pooled.md);
    dnnl_inner_product_desc_t ipbd = new dnnl_inner_product_desc_t();
    ck(dnnl_inner_product_backward_data_desc_init(ipbd, dPooled.md, fcw.w.md, dLogits.md), "ip bwd-d");
    backward.add(op(pd(ipbd, ipPd, "ip bwd-d"), "ip bwd-d", DNNL_ARG_DIFF_DST, dLogits, DNNL_ARG_WEIGHTS, fcw.w,
        DNNL_ARG_DIFF_SRC, dPooled));
    Buf dx = new Buf(x.md);
    dnnl_pooling_desc_t poolb = new dnnl_pooling_desc_t();
    ck(dnnl_pooling_backward_desc_init(poolb, dnnl_pooling_avg_exclude_padding, dx.md, dPooled.md, new long[] {1, 1},
        new long[] {h, h}, new long[] {0, 0}, new long[] {0, 0}), "pool bwd");
    backward.add(op(pd(poolb, poolPd, "pool bwd"), "pool bwd", DNNL_ARG_DIFF_DST, dPooled, DNNL_ARG_DIFF_SRC, dx));

    // Backward of the blocks, last first. dx: the gradient of the block's output.
    for (int bi = blockList.size() - 1; bi >= 0; bi--) {
      Block b = blockList.get(bi);
      dnnl_eltwise_desc_t rb = new dnnl_eltwise_desc_t();
      ck(dnnl_eltwise_backward_desc_init(rb, dnnl_eltwise_relu_use_dst_for_bwd, dx.md, b.out.md, 0f, 0f), "relu bwd");
      dnnl_eltwise_desc_t rf = new dnnl_eltwise_desc_t();
      ck(dnnl_eltwise_forward_desc_init(rf, dnnl_forward_training, dnnl_eltwise_relu_use_dst_for_bwd, b.out.md, 0f, 0f), "relu");
      backward.add(op(pd(rb, pd(rf, null, "relu hint"), "relu bwd"), b.name + " relu bwd", DNNL_ARG_DST, b.out,
          DNNL_ARG_DIFF_DST, dx, DNNL_ARG_DIFF_SRC, dx));
      Buf d3 = new Buf(b.out.md), d1 = new Buf(b.out.md);
      backward.add(b.b3.backward(b.y3, dx, d3));
      backward.add(b.b1.backward(b.y1, dx, d1));
      Buf did = null;
      if (b.bid != null) {
        did = new Buf(b.in.md);
        backward.add(b.bid.backward(b.in, dx, did));
      }
      boolean first = bi == 0;
      Buf dx3 = first ? null : new Buf(b.in.md), dx1 = first ? null : new Buf(b.in.md);
      convBackward(b.c3, b.name + ".dense", b.in, d3, dx3, b.cin, b.cout, 3, b.stride, backward);
      convBackward(b.c1, b.name + ".1x1", b.in, d1, dx1, b.cin, b.cout, 1, b.stride, backward);
      if (!first) {
        Buf dIn = dx3;
        if (did != null) backward.add(sum(dIn, dx3, dx1, did));
        else backward.add(sum(dIn, dx3, dx1));
        dx = dIn;
      }
    }

    long total = 0;
    for (Param p : params) total += p.w.floats;
    System.out.printf("oneDNN training graph: %d blocks, %d parameters (%d tensors), %d forward + %d backward + %d"
        + " weight-layout primitives, %d reorders in all%n", blocks, total, params.size(), forward.size(), backward.size(),
        afterUpdate.size(), reorders);
    Map<String, Integer> kinds = new TreeMap<>();
    for (String k : kernels) kinds.merge(k.substring(k.indexOf(": ") + 2), 1, Integer::sum);
    System.out.println("convolution kernels: " + kinds);

    // Labels and the loss gradient (label-smoothed cross-entropy, mean over the batch) in Java.
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) labels[i] = rnd.nextInt(classes);
    float[] lg = new float[n * classes], grad = new float[n * classes];
    float lr = 0.01f, mu = 0.9f, wd = 1e-4f, smoothing = 0.1f;
    for (Op o : afterUpdate) o.run();
    double[] fwdMs = new double[steps], bwdMs = new double[steps], updMs = new double[steps], stepMs = new double[steps];
    double loss = 0;
    for (int s = -warmup; s < steps; s++) {
      long t0 = System.nanoTime();
      for (Op o : forward) o.run();
      ck(dnnl_stream_wait(st), "wait");
      logits.p.get(lg, 0, lg.length);
      loss = 0;
      for (int i = 0; i < n; i++) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < classes; c++) max = Math.max(max, lg[i * classes + c]);
        double z = 0;
        for (int c = 0; c < classes; c++) z += Math.exp(lg[i * classes + c] - max);
        for (int c = 0; c < classes; c++) {
          double p = Math.exp(lg[i * classes + c] - max) / z;
          double target = smoothing / classes + (c == labels[i] ? 1 - smoothing : 0);
          loss -= target * Math.log(p) / n;
          grad[i * classes + c] = (float) ((p - target) / n);
        }
      }
      dLogits.p.put(grad, 0, grad.length);
      long t1 = System.nanoTime();
      for (Op o : backward) o.run();
      ck(dnnl_stream_wait(st), "wait");
      long t2 = System.nanoTime();
      update(lr, mu, wd);
      for (Op o : afterUpdate) o.run();
      ck(dnnl_stream_wait(st), "wait");
      long t3 = System.nanoTime();
      if (s >= 0) {
        fwdMs[s] = (t1 - t0) / 1e6; bwdMs[s] = (t2 - t1) / 1e6; updMs[s] = (t3 - t2) / 1e6; stepMs[s] = (t3 - t0) / 1e6;
      }
    }
    double med = median(stepMs);
    System.out.printf(Locale.ROOT, "{\"batch\": %d, \"input_size\": %d, \"classes\": %d, \"median_ms\": %.2f, "
        + "\"images_per_s\": %.1f, \"forward_ms\": %.2f, \"backward_ms\": %.2f, \"update_ms\": %.2f, \"loss\": %.4f}%n",
        n, size, classes, med, n * 1000 / med, median(fwdMs), median(bwdMs), median(updMs), loss);
  }

  static double median(double[] v) {
    double[] c = v.clone();
    Arrays.sort(c);
    return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
  }

  /** Nesterov SGD as PyTorch's: g += wd*w (decaying params); m = mu*m + g; w -= lr*(g + mu*m). */
  static void update(float lr, float mu, float wd) {
    params.parallelStream().forEach(p -> {
      java.nio.FloatBuffer w = p.w.p.asBuffer(), g = p.g.p.asBuffer(), m = p.m.p.asBuffer();
      float decay = p.decay ? wd : 0f;
      int len = (int) p.w.floats;
      for (int i = 0; i < len; i++) {
        float wi = w.get(i);
        float gi = g.get(i) + decay * wi;
        float mi = mu * m.get(i) + gi;
        m.put(i, mi);
        w.put(i, wi - lr * (gi + mu * mi));
      }
    });
  }
}
