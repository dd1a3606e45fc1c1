package org.repvgg4j.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Tiny real images written with ImageIO, so the tests need no binary fixtures. */
final class TestImages {

    private TestImages() {}

    /** Writes a 4x4 image in {@code format} ("png", "jpeg", "gif", "bmp") to {@code file}, creating folders. */
    static Path write(Path file, String format) {
        try {
            Files.createDirectories(file.getParent());
            BufferedImage image = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
            image.setRGB(1, 2, 0xFF8000);
            if (!ImageIO.write(image, format, file.toFile())) {
                throw new IllegalStateException("no ImageIO writer for " + format);
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path png(Path file) {
        return write(file, "png");
    }

    /** {@code count} PNGs named {@code 000.png, 001.png, ...} in {@code folder}. */
    static void pngs(Path folder, int count) {
        for (int i = 0; i < count; i++) {
            png(folder.resolve(String.format("%03d.png", i)));
        }
    }
}
