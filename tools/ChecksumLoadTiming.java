import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.ModelDirectory;
import org.repvgg4j.weights.NetworkWeights;
import org.repvgg4j.weights.StateDict;
import org.repvgg4j.weights.WeightChecksums;

/**
 * What checking model.json's SHA-256 costs when a model is loaded (docs/BENCHMARKS.md, "Checksums"):
 * per round, ModelDirectory.load (which verifies), the same steps without the verification, and the
 * verification alone, in alternating order; prints the median of each in milliseconds. The weights
 * file is read once before timing, so all three read it from the page cache.
 *
 *   java -Dai.djl.offline=true -cp "cli/target/repvgg-cli.jar:cli/target/lib/*" tools/ChecksumLoadTiming.java MODEL_DIR [ROUNDS]
 */
public class ChecksumLoadTiming {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        Files.readAllBytes(dir.resolve(ModelDirectory.WEIGHTS_FILE)); // warm the page cache
        double[] verified = new double[rounds];
        double[] unverified = new double[rounds];
        double[] verifyOnly = new double[rounds];
        time(dir, true); // warm-up: class loading, the engine's first allocations
        time(dir, false);
        for (int r = 0; r < rounds; r++) {
            if (r % 2 == 0) {
                verified[r] = time(dir, true);
                unverified[r] = time(dir, false);
            } else {
                unverified[r] = time(dir, false);
                verified[r] = time(dir, true);
            }
            long t = System.nanoTime();
            WeightChecksums.verify(dir);
            verifyOnly[r] = (System.nanoTime() - t) / 1e6;
        }
        System.out.printf("%s: %.1f MB weights; load with verification %.0f ms, without %.0f ms, verification alone %.0f ms"
                + " (median of %d)%n", dir, Files.size(dir.resolve(ModelDirectory.WEIGHTS_FILE)) / 1e6, median(verified),
                median(unverified), median(verifyOnly), rounds);
    }

    private static double time(Path dir, boolean verify) throws Exception {
        long t = System.nanoTime();
        try (NDManager manager = NDManager.newBaseManager()) {
            if (verify) {
                ModelDirectory.load(dir, manager);
            } else {
                // ModelDirectory.load's steps, less WeightChecksums.verify
                ModelConfig config = ModelDirectory.readConfig(dir);
                RepVgg net = new RepVgg(config.spec(), config.form(), config.numClasses());
                net.initialize(manager, config.preprocessing().inputSize());
                try (NDManager scratch = manager.newSubManager()) {
                    NetworkWeights.load(net, StateDict.readSafetensors(dir.resolve(ModelDirectory.WEIGHTS_FILE), scratch),
                            dir.toString());
                }
            }
        }
        return (System.nanoTime() - t) / 1e6;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
