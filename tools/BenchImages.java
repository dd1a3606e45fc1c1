import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * Writes N photo-sized JPEGs (smooth colour gradients with noise, so they compress like photos,
 * not like flat colour) and an unlabelled list file naming them, for throughput measurements.
 *
 *   java tools/BenchImages.java OUT_DIR COUNT [WIDTH HEIGHT]      # e.g. /tmp/bench 2000 320 240
 */
public class BenchImages {
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        int count = Integer.parseInt(args[1]);
        int width = args.length > 2 ? Integer.parseInt(args[2]) : 320;
        int height = args.length > 3 ? Integer.parseInt(args[3]) : 240;
        Path images = Files.createDirectories(out.resolve("images"));
        Random random = new Random(0);
        StringBuilder list = new StringBuilder();
        for (int i = 0; i < count; i++) {
            BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
            int r0 = random.nextInt(256), g0 = random.nextInt(256), b0 = random.nextInt(256);
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    int r = clamp(r0 + x * 96 / width + random.nextInt(24));
                    int g = clamp(g0 + y * 96 / height + random.nextInt(24));
                    int b = clamp(b0 + (x + y) * 48 / (width + height) + random.nextInt(24));
                    image.setRGB(x, y, r << 16 | g << 8 | b);
                }
            }
            String name = String.format("img_%05d.jpg", i);
            ImageIO.write(image, "jpeg", images.resolve(name).toFile());
            list.append("images/").append(name).append('\n');
        }
        Files.writeString(out.resolve("list.txt"), list);
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }
}
