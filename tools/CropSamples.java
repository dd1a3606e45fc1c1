import java.io.DataOutputStream;
import java.io.BufferedOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.repvgg4j.data.ImageDecoder;
import org.repvgg4j.data.ImageTransform;
import org.repvgg4j.data.RgbImage;
import org.repvgg4j.train.Recipe;
import org.repvgg4j.weights.Preprocessing;

/**
 * Our training crops, for tools/compare_random_resized_crop.py to set beside torchvision's.
 *
 *   java -cp core/target/classes tools/CropSamples.java boxes WIDTH HEIGHT N SEED
 *       N RandomResizedCrop boxes of a WIDTH x HEIGHT image, one "x y w h" line each
 *   java -cp core/target/classes tools/CropSamples.java pixels IMAGE SIZE N SEED OUT
 *       N train-transform crops of IMAGE (RandomResizedCrop, flip, ToTensor, Normalize) as
 *       float32 little-endian CHW values, appended crop after crop to OUT
 *   java -cp core/target/classes tools/CropSamples.java resize IMAGE X Y W H SIZE OUT
 *       the box (X, Y, W, H) of IMAGE cut out and resized to SIZE x SIZE as the train transform does
 *       (Resampler.cropThenResize), float32 HWC 0..255 to OUT
 */
public class CropSamples {
    public static void main(String[] args) throws Exception {
        if (args[0].equals("resize")) {
            RgbImage image = ImageDecoder.read(Path.of(args[1]));
            int size = Integer.parseInt(args[6]);
            float[] hwc = org.repvgg4j.data.Resampler.cropThenResize(image, Integer.parseInt(args[2]),
                    Integer.parseInt(args[3]), Integer.parseInt(args[4]), Integer.parseInt(args[5]), size, size);
            write(hwc, Path.of(args[7]));
            return;
        }
        long seed = Long.parseLong(args[4]);
        Random random = new Random(seed);
        if (args[0].equals("boxes")) {
            int width = Integer.parseInt(args[1]);
            int height = Integer.parseInt(args[2]);
            int n = Integer.parseInt(args[3]);
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < n; i++) {
                ImageTransform.Box b = ImageTransform.randomResizedCrop(width, height, Recipe.MIN_CROP_SCALE,
                        Recipe.MAX_CROP_SCALE, 3.0 / 4, 4.0 / 3, random);
                out.append((int) b.x()).append(' ').append((int) b.y()).append(' ')
                        .append((int) b.width()).append(' ').append((int) b.height()).append('\n');
            }
            System.out.print(out);
            return;
        }
        RgbImage image = ImageDecoder.read(Path.of(args[1]));
        int size = Integer.parseInt(args[2]);
        int n = Integer.parseInt(args[3]);
        ImageTransform transform = ImageTransform.train(Preprocessing.imagenet(size), Recipe.MIN_CROP_SCALE,
                Recipe.MAX_CROP_SCALE);
        float[] all = new float[n * 3 * size * size];
        for (int i = 0; i < n; i++) {
            System.arraycopy(transform.apply(image, random), 0, all, i * 3 * size * size, 3 * size * size);
        }
        write(all, Path.of(args[5]));
    }

    private static void write(float[] values, Path file) throws Exception {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
            for (float v : values) {
                out.writeInt(Integer.reverseBytes(Float.floatToRawIntBits(v)));
            }
        }
    }
}
