package org.repvgg4j.cli;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import org.repvgg4j.data.ImageDecoder;
import org.repvgg4j.data.ImageTransform;
import org.repvgg4j.data.ListEntry;
import org.repvgg4j.data.ListFile;
import org.repvgg4j.data.augment.Augmentation;
import org.repvgg4j.weights.Preprocessing;
import org.repvgg4j.train.Recipe;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "preview", mixinStandardHelpOptions = true,
        description = {"Draw training crops as train's loader makes them, to check the augmentation settings:",
            "--count images spread evenly over a list, each RandomResizedCrop + flip, then --augment and",
            "--random-erasing as train takes them, turned back from normalised values into colours, in a grid."})
final class PreviewCommand extends Subcommand implements Callable<Integer> {

    @Option(names = "--list", required = true, paramLabel = "FILE", description = "a list file (train.txt)")
    Path list;

    @Option(names = "--out", required = true, paramLabel = "FILE.png", description = "the grid to write")
    Path out;

    @Option(names = "--image-size", defaultValue = "" + Recipe.IMAGE_SIZE, description = "training crop (default: ${DEFAULT-VALUE})")
    int imageSize;

    @Option(names = "--crop-scale", split = ",", defaultValue = Recipe.MIN_CROP_SCALE + "," + Recipe.MAX_CROP_SCALE,
            description = "RandomResizedCrop area range (default: ${DEFAULT-VALUE})")
    List<Double> cropScale;

    @Option(names = "--augment", defaultValue = "none", paramLabel = "POLICY",
            description = "as train --augment (default: ${DEFAULT-VALUE})")
    String augment;

    @Option(names = "--random-erasing", defaultValue = "0", paramLabel = "P", description = "as train --random-erasing")
    double randomErasing;

    @Option(names = "--count", defaultValue = "16", description = "crops to draw (default: ${DEFAULT-VALUE})")
    int count;

    @Option(names = "--columns", defaultValue = "8", description = "crops per row (default: ${DEFAULT-VALUE})")
    int columns;

    @Option(names = "--seed", defaultValue = "" + Recipe.SEED, description = "default: ${DEFAULT-VALUE}")
    long seed;

    private static final int GAP = 2;

    @Override
    public Integer call() throws Exception {
        if (cropScale.size() != 2) {
            throw new IllegalArgumentException("--crop-scale takes two numbers, e.g. 0.08,1");
        }
        if (count < 1 || columns < 1) {
            throw new IllegalArgumentException("--count and --columns must be at least 1");
        }
        Preprocessing p = Preprocessing.imagenet(imageSize);
        ImageTransform transform = ImageTransform.train(p, cropScale.get(0), cropScale.get(1),
                Augmentation.parse(augment), randomErasing);
        List<ListEntry> entries = ListFile.read(list).entries();
        int n = Math.min(count, entries.size());
        int cols = Math.min(columns, n);
        int rows = (n + cols - 1) / cols;
        int cell = imageSize + GAP;
        BufferedImage grid = new BufferedImage(cols * cell + GAP, rows * cell + GAP, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = grid.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, grid.getWidth(), grid.getHeight());
        g.dispose();
        int failures = 0;
        for (int i = 0; i < n; i++) {
            float[] chw;
            try {
                // Evenly spaced entries, so that a list sorted by class shows every class.
                ListEntry entry = entries.get((int) ((long) i * entries.size() / n));
                chw = transform.apply(ImageDecoder.read(entry.path()), new Random(seed * 1_000_003L + i));
            } catch (IOException e) {
                failures++;
                err().println("preview: " + RepVggCommand.describe(e));
                continue;
            }
            draw(grid, chw, p, GAP + (i % cols) * cell, GAP + (i / cols) * cell);
        }
        ImageIO.write(grid, "png", out.toFile());
        out().printf("wrote %s: %d crops of %dx%d from %s (augment %s, random erasing %s)%n", out, n - failures,
                imageSize, imageSize, list, augment, randomErasing);
        return failures == 0 ? 0 : 1;
    }

    /** Normalised CHW back to colours: {@code (v * std + mean) * 255}, clipped. */
    private void draw(BufferedImage grid, float[] chw, Preprocessing p, int left, int top) {
        int plane = imageSize * imageSize;
        for (int y = 0; y < imageSize; y++) {
            for (int x = 0; x < imageSize; x++) {
                int rgb = 0;
                for (int c = 0; c < 3; c++) {
                    double v = (chw[c * plane + y * imageSize + x] * p.std().get(c) + p.mean().get(c)) * 255;
                    rgb = (rgb << 8) | (int) Math.round(Math.max(0, Math.min(255, v)));
                }
                grid.setRGB(left + x, top + y, rgb);
            }
        }
    }
}
