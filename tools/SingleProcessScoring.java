import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.repvgg4j.data.ImageDecoder;
import org.repvgg4j.data.ImageTransform;
import org.repvgg4j.data.ListEntry;
import org.repvgg4j.data.ListFile;
import org.repvgg4j.weights.LoadedModel;
import org.repvgg4j.weights.ModelDirectory;

/**
 * The single-process baseline for the Spark measurement in docs/BENCHMARKS.md: one JVM, one loop,
 * the per-image path `repvgg batch` uses (ImageDecoder.read, ImageTransform.eval(...).apply, batches
 * through RepVgg.infer, softmax), decode and forward on one thread, nothing written. Prints images/s
 * after the model is loaded (Spark's number includes its start-up and the Parquet write).
 *
 *   java -Dai.djl.offline=true -cp "$(cat spark/target/local-classpath.txt)" tools/SingleProcessScoring.java MODEL_DIR LIST [BATCH]
 */
public class SingleProcessScoring {
    public static void main(String[] args) throws Exception {
        Path modelDir = Path.of(args[0]);
        List<ListEntry> entries = ListFile.read(Path.of(args[1])).entries();
        int batchSize = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedModel model = ModelDirectory.load(modelDir, manager);
            ImageTransform transform = ImageTransform.eval(model.config().preprocessing());
            int size = transform.size();
            long start = System.nanoTime();
            double checksum = 0;
            for (int from = 0; from < entries.size(); from += batchSize) {
                List<float[]> inputs = new ArrayList<>();
                for (ListEntry e : entries.subList(from, Math.min(from + batchSize, entries.size()))) {
                    inputs.add(transform.apply(ImageDecoder.read(e.path()), null));
                }
                float[] batch = new float[inputs.size() * 3 * size * size];
                for (int i = 0; i < inputs.size(); i++) {
                    System.arraycopy(inputs.get(i), 0, batch, i * 3 * size * size, 3 * size * size);
                }
                try (NDManager scratch = manager.newSubManager()) {
                    NDArray x = scratch.create(batch, new Shape(inputs.size(), 3, size, size));
                    float[] scores = model.network().infer(x).softmax(1).toFloatArray();
                    checksum += scores[0];
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("%d images in %.1f s, %.1f images/s (batch %d; checksum %.4f)%n",
                    entries.size(), seconds, entries.size() / seconds, batchSize, checksum);
        }
    }
}
