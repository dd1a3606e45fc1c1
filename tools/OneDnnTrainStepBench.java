import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.train.onednn.OneDnnTraining;
import org.repvgg4j.weights.NetworkWeights;

/**
 * Training steps of the oneDNN graph `repvgg train` runs (train/onednn/OneDnnTraining: forward,
 * label-smoothed cross-entropy, backward, Nesterov SGD), timed on a fixed random batch, with a fresh
 * network's weights: the steps-alone side of docs/BENCHMARKS.md, "Training steps on oneDNN directly".
 * Prints one JSON line: the median step and its phases. REPVGG_ONEDNN_MAX_CPU_ISA=AVX2 caps the graph's
 * instruction set (as ONEDNN_MAX_CPU_ISA caps libtorch's).
 *
 *   java -Dai.djl.offline=true -cp "core/target/classes:cli/target/lib/*" tools/OneDnnTrainStepBench.java \
 *       BATCH SIZE CLASSES WARMUP STEPS [ARCH] [THREADS]
 */
public class OneDnnTrainStepBench {
  public static void main(String[] a) {
    int batch = Integer.parseInt(a[0]), size = Integer.parseInt(a[1]), classes = Integer.parseInt(a[2]);
    int warmup = Integer.parseInt(a[3]), steps = Integer.parseInt(a[4]);
    RepVggSpec spec = RepVggSpec.parse(a.length > 5 ? a[5] : "A0");
    int threads = a.length > 6 ? Integer.parseInt(a[6]) : Runtime.getRuntime().availableProcessors();
    Map<String, float[]> weights = new LinkedHashMap<>();
    try (NDManager manager = NDManager.newBaseManager()) {
      RepVgg net = new RepVgg(spec, Form.TRAIN, classes);
      net.initialize(manager, size);
      NetworkWeights.of(net).asMap().forEach((key, array) -> weights.put(key, array.toFloatArray()));
    }
    Random random = new Random(0);
    float[] images = new float[batch * 3 * size * size];
    for (int i = 0; i < images.length; i++) images[i] = (float) random.nextGaussian();
    float[] targets = new float[batch * classes];
    for (int i = 0; i < batch; i++) targets[i * classes + random.nextInt(classes)] = 1f;
    try (OneDnnTraining graph = OneDnnTraining.build(spec, classes, batch, size, threads)) {
      graph.load(weights);
      double[] step = new double[steps], pass = new double[steps], update = new double[steps];
      float loss = 0;
      for (int s = -warmup; s < steps; s++) {
        long t0 = System.nanoTime();
        loss = graph.forwardBackward(images, targets, 0.1f).loss();
        long t1 = System.nanoTime();
        graph.update(0.01, 0.9f, 1e-4f);
        long t2 = System.nanoTime();
        if (s >= 0) {
          pass[s] = (t1 - t0) / 1e6; update[s] = (t2 - t1) / 1e6; step[s] = (t2 - t0) / 1e6;
        }
      }
      double median = median(step);
      System.out.printf(Locale.ROOT, "{\"engine\": \"onednn-graph\", \"arch\": \"%s\", \"batch\": %d, \"input_size\": %d, "
          + "\"classes\": %d, \"threads\": %d, \"median_ms\": %.2f, \"images_per_s\": %.1f, \"forward_backward_ms\": %.2f, "
          + "\"update_ms\": %.2f, \"loss\": %.4f, \"onednn_isa\": \"%s\"}%n", spec.name(), batch, size, classes,
          threads, median, batch * 1000 / median, median(pass), median(update), loss, org.repvgg4j.infer.onednn.Dnnl.isa());
    }
  }

  static double median(double[] v) {
    double[] c = v.clone();
    Arrays.sort(c);
    return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
  }
}
