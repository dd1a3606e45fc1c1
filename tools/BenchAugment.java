import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import org.repvgg4j.data.ImageDecoder;
import org.repvgg4j.data.ImageTransform;
import org.repvgg4j.data.RgbImage;
import org.repvgg4j.data.augment.Augmentation;
import org.repvgg4j.weights.Preprocessing;

/**
 * Time per training crop of the train transform, with and without each augmentation policy, in
 * one process and alternating (so the ratios share the machine's state). One thread: the loader
 * runs one such transform per worker.
 *
 *   CP=cli/target/repvgg-cli.jar:$(ls cli/target/lib/repvgg4j-core-*.jar)
 *   java -cp $CP tools/BenchAugment.java IMAGE SIZE [ROUNDS]     # e.g. a photo, 224
 */
public class BenchAugment {
    public static void main(String[] args) throws Exception {
        RgbImage image = ImageDecoder.read(Path.of(args[0]));
        int size = Integer.parseInt(args[1]);
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        Preprocessing p = Preprocessing.imagenet(size);
        String[] names = {"none", "randaugment", "autoaugment", "none + erasing 0.25"};
        ImageTransform[] transforms = {
            ImageTransform.train(p, 0.08, 1),
            ImageTransform.train(p, 0.08, 1, Augmentation.parse("randaugment"), 0),
            ImageTransform.train(p, 0.08, 1, Augmentation.parse("autoaugment"), 0),
            ImageTransform.train(p, 0.08, 1, null, 0.25),
        };
        int per = Math.max(20, 200_000 / (size * size) * 20);
        double[][] ms = new double[transforms.length][rounds];
        for (int round = -1; round < rounds; round++) { // round -1 warms up the JIT
            for (int t = 0; t < transforms.length; t++) {
                Random random = new Random(round);
                long start = System.nanoTime();
                for (int i = 0; i < per; i++) {
                    transforms[t].apply(image, random);
                }
                if (round >= 0) {
                    ms[t][round] = (System.nanoTime() - start) / 1e6 / per;
                }
            }
        }
        System.out.printf(Locale.ROOT, "%s (%dx%d) -> %dx%d, %d crops per round, %d rounds%n", args[0],
                image.width(), image.height(), size, size, per, rounds);
        double base = median(ms[0]);
        for (int t = 0; t < transforms.length; t++) {
            double m = median(ms[t]);
            System.out.printf(Locale.ROOT, "%-22s %8.3f ms per crop  %5.2fx none%n", names[t], m, m / base);
        }
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        java.util.Arrays.sort(v);
        return v[v.length / 2];
    }
}
