package org.repvgg4j.cli;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * A two-class image set a small network learns in a few epochs: horizontal vs vertical stripes,
 * with random phase, period and noise. Written as real PNG files in the folder-per-class layout.
 */
final class StripeImages {

    private StripeImages() {}

    static Path write(Path root, int perClass, long seed) throws IOException {
        Random random = new Random(seed);
        for (String cls : new String[] {"horizontal", "vertical"}) {
            Path dir = Files.createDirectories(root.resolve(cls));
            for (int i = 0; i < perClass; i++) {
                int size = 20;
                int period = 3 + random.nextInt(4);
                int phase = random.nextInt(period);
                BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        int t = cls.equals("horizontal") ? y : x;
                        int v = ((t + phase) % period) < period / 2 ? 220 : 30;
                        v = Math.max(0, Math.min(255, v + random.nextInt(41) - 20));
                        image.setRGB(x, y, v << 16 | v << 8 | v);
                    }
                }
                ImageIO.write(image, "png", dir.resolve(String.format("%03d.png", i)).toFile());
            }
        }
        return root;
    }
}
