package org.repvgg4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.repvgg4j.cli.CommandsTest.repvgg;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code repvgg preview}: a grid of training crops, the same for a seed, with a bad image reported. */
class PreviewCommandTest {

    @TempDir
    Path tmp;

    @Test
    void drawsAGridOfCropsTheSameForASeedAndReportsAnUnreadableImage() throws Exception {
        Path stripes = StripeImages.write(tmp.resolve("stripes"), 3, 2);
        Path broken = tmp.resolve("broken.png");
        Files.writeString(broken, "not a picture");
        Path list = tmp.resolve("train.txt");
        Files.writeString(list, "stripes/horizontal/000.png 0\nstripes/horizontal/001.png 0\nbroken.png 0\n"
                + "stripes/vertical/000.png 1\nstripes/vertical/001.png 1\n");
        String[] args = {"preview", "--list", list.toString(), "--image-size", "16", "--count", "5", "--columns", "3",
            "--augment", "randaugment", "--random-erasing", "0.5", "--out", ""};

        args[args.length - 1] = tmp.resolve("a.png").toString();
        CommandsTest.Run first = repvgg(args);
        args[args.length - 1] = tmp.resolve("b.png").toString();
        CommandsTest.Run second = repvgg(args);

        assertThat(first.exit()).as("one image could not be read").isEqualTo(1);
        assertThat(first.err()).contains(broken.toString());
        assertThat(first.out()).contains("4 crops of 16x16");
        BufferedImage grid = ImageIO.read(tmp.resolve("a.png").toFile());
        // 3 columns and 2 rows of 16 px with 2 px between and around them
        assertThat(grid.getWidth()).isEqualTo(3 * 18 + 2);
        assertThat(grid.getHeight()).isEqualTo(2 * 18 + 2);
        assertThat(second.exit()).isEqualTo(1);
        assertThat(Files.readAllBytes(tmp.resolve("b.png"))).as("same seed, same crops")
                .isEqualTo(Files.readAllBytes(tmp.resolve("a.png")));
    }
}
