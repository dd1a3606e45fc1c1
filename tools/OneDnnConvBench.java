import org.bytedeco.javacpp.*;
import org.bytedeco.dnnl.*;
import static org.bytedeco.dnnl.global.dnnl.*;

/**
 * A chain of identical 3x3 convolutions + fused ReLU (stride 1, padding 1) in oneDNN 2.7, direct or
 * Winograd, timed at one batch size: the per-layer measurement behind the onednn engine
 * (docs/BENCHMARKS.md, "oneDNN Winograd"). Threads: OMP_NUM_THREADS (default: all cores).
 *
 *   java -cp "cli/target/lib/*" tools/OneDnnConvBench.java BATCH CHANNELS SIZE LAYERS direct|wino
 */
public class OneDnnConvBench {
  static void ck(int s, String what) { if (s != dnnl_success) throw new RuntimeException(what + " failed: " + s); }
  public static void main(String[] a) throws Exception {
    int n = Integer.parseInt(a[0]), c = Integer.parseInt(a[1]), hw = Integer.parseInt(a[2]), layers = Integer.parseInt(a[3]);
    int alg = a[4].equals("wino") ? dnnl_convolution_winograd : dnnl_convolution_direct;
    dnnl_engine eng = new dnnl_engine(); ck(dnnl_engine_create(eng, dnnl_cpu, 0), "engine");
    dnnl_stream st = new dnnl_stream(); ck(dnnl_stream_create(st, eng, dnnl_stream_default_flags), "stream");
    dnnl_memory_desc_t src = new dnnl_memory_desc_t(), w = new dnnl_memory_desc_t(), b = new dnnl_memory_desc_t(), dst = new dnnl_memory_desc_t();
    ck(dnnl_memory_desc_init_by_tag(src, 4, new long[]{n,c,hw,hw}, dnnl_f32, dnnl_format_tag_any), "src");
    ck(dnnl_memory_desc_init_by_tag(w, 4, new long[]{c,c,3,3}, dnnl_f32, dnnl_format_tag_any), "w");
    ck(dnnl_memory_desc_init_by_tag(b, 1, new long[]{c}, dnnl_f32, dnnl_x), "b");
    ck(dnnl_memory_desc_init_by_tag(dst, 4, new long[]{n,c,hw,hw}, dnnl_f32, dnnl_format_tag_any), "dst");
    dnnl_convolution_desc_t cd = new dnnl_convolution_desc_t();
    ck(dnnl_convolution_forward_desc_init(cd, dnnl_forward_inference, alg, src, w, b, dst, new long[]{1,1}, new long[]{1,1}, new long[]{1,1}), "convdesc");
    dnnl_post_ops po = new dnnl_post_ops(); ck(dnnl_post_ops_create(po), "po");
    ck(dnnl_post_ops_append_eltwise(po, 1f, dnnl_eltwise_relu, 0f, 0f), "relu");
    dnnl_primitive_attr at = new dnnl_primitive_attr(); ck(dnnl_primitive_attr_create(at), "attr");
    ck(dnnl_primitive_attr_set_post_ops(at, po), "setpo");
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    ck(dnnl_primitive_desc_create(pd, new const_dnnl_op_desc_t(cd), at, eng, null), "pd");
    PointerPointer<BytePointer> info = new PointerPointer<>(1);
    ck(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, info), "impl");
    System.out.println("impl: " + new BytePointer(info.get(0)).getString());
    dnnl_memory_desc_t smd = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    dnnl_memory_desc_t wmd = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    dnnl_memory_desc_t dmd = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    dnnl_primitive p = new dnnl_primitive(); ck(dnnl_primitive_create(p, pd), "prim");
    FloatPointer sbuf = new FloatPointer(dnnl_memory_desc_get_size(smd)/4), dbuf = new FloatPointer(dnnl_memory_desc_get_size(dmd)/4);
    FloatPointer wbuf = new FloatPointer(dnnl_memory_desc_get_size(wmd)/4), bbuf = new FloatPointer(c);
    java.util.Random r = new java.util.Random(1);
    for (long i = 0; i < sbuf.capacity(); i++) sbuf.put(i, r.nextFloat());
    for (long i = 0; i < wbuf.capacity(); i++) wbuf.put(i, (r.nextFloat()-0.5f)*0.1f);
    dnnl_memory ms = new dnnl_memory(), md = new dnnl_memory(), mw = new dnnl_memory(), mb = new dnnl_memory();
    ck(dnnl_memory_create(ms, smd, eng, sbuf), "ms"); ck(dnnl_memory_create(md, dmd, eng, dbuf), "md");
    ck(dnnl_memory_create(mw, wmd, eng, wbuf), "mw"); ck(dnnl_memory_create(mb, b, eng, bbuf), "mb");
    dnnl_exec_arg_t args1 = new dnnl_exec_arg_t(4), args2 = new dnnl_exec_arg_t(4);
    fill(args1, ms, mw, mb, md); fill(args2, md, mw, mb, ms);
    double[] t = new double[20];
    for (int it = -5; it < 20; it++) {
      long t0 = System.nanoTime();
      for (int l = 0; l < layers; l++) ck(dnnl_primitive_execute(p, st, 4, l % 2 == 0 ? args1 : args2), "exec");
      ck(dnnl_stream_wait(st), "wait");
      if (it >= 0) t[it] = (System.nanoTime() - t0) / 1e6;
    }
    java.util.Arrays.sort(t);
    double flop = 2.0 * n * c * c * 9 * hw * hw * layers;
    System.out.printf("%s n=%d c=%d hw=%d layers=%d median %.2f ms min %.2f ms  %.0f GFLOP/s(direct-equiv)%n", a[4], n, c, hw, layers, t[10], t[0], flop / t[10] / 1e6);
  }
  static void fill(dnnl_exec_arg_t x, dnnl_memory s, dnnl_memory w, dnnl_memory b, dnnl_memory d) {
    x.position(0).arg(DNNL_ARG_SRC).memory(s); x.position(1).arg(DNNL_ARG_WEIGHTS).memory(w);
    x.position(2).arg(DNNL_ARG_BIAS).memory(b); x.position(3).arg(DNNL_ARG_DST).memory(d); x.position(0);
  }
}
