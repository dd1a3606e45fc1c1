package org.repvgg4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.repvgg4j.cli.CommandsTest.repvgg;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repvgg4j.io.Npy;
import org.repvgg4j.io.NpyArray;

/** {@code repvgg cam} as a user runs it: pictures and maps per image, bad images and bad options. */
class CamCommandTest {

    private static final String TINY = "depths=1,1,1,1;widths=0.125,0.125,0.125,0.25";

    @TempDir
    Path tmp;

    @Test
    void writesAPicturePerImageAndReportsTheOneItCannotRead() throws Exception {
        Path classes = tmp.resolve("annotations.txt");
        Files.writeString(classes, "horizontal 0\nvertical 1\n");
        Path model = tmp.resolve("model");
        CommandsTest.Run init = repvgg("init", "--arch", TINY, "--classes", classes.toString(), "--image-size", "64",
                "--out", model.toString());
        assertThat(init.exit()).as(init.err()).isZero();
        Path stripes = StripeImages.write(tmp.resolve("stripes"), 1, 3);
        Path horizontal = stripes.resolve("horizontal/000.png");
        Path vertical = stripes.resolve("vertical/000.png");
        Path broken = tmp.resolve("broken.png");
        Files.writeString(broken, "not a picture");
        Path out = tmp.resolve("cam");

        CommandsTest.Run run = repvgg("cam", "--model", model.toString(), "--out", out.toString(), "--layer", "stage3",
                "--class", "vertical", "--save-map", horizontal.toString(), broken.toString(), vertical.toString());

        assertThat(run.exit()).as("one image could not be read").isEqualTo(1);
        assertThat(run.err().lines()).hasSize(1);
        assertThat(run.err()).contains(broken.toString());
        // Both images are named 000.png: the second picture gets a suffix rather than replacing the first.
        assertThat(run.out()).contains(horizontal + ": vertical ", "(stage3.0, 4x4)", out.resolve("000.cam.png").toString(),
                vertical + ": vertical ", out.resolve("000-2.cam.png").toString());
        for (String name : new String[] {"000", "000-2"}) {
            BufferedImage picture = ImageIO.read(out.resolve(name + ".cam.png").toFile());
            assertThat(picture.getWidth()).as("inputs under 224 px are drawn at 224").isEqualTo(224);
            assertThat(picture.getHeight()).isEqualTo(224);
            NpyArray map = Npy.read(out.resolve(name + ".cam.npy"));
            assertThat(map.shape()).containsExactly(4, 4);
            float min = Float.MAX_VALUE;
            for (float v : map.toFloats()) {
                min = Math.min(min, v);
            }
            assertThat(min).as("a Grad-CAM map is clipped at zero").isGreaterThanOrEqualTo(0f);
        }
        assertThat(out.resolve("broken.cam.png")).doesNotExist();
    }

    @Test
    void refusesAnUnknownClassOrLayerAndAFileForAModelDirectory() throws Exception {
        Path model = tmp.resolve("model");
        assertThat(repvgg("init", "--arch", TINY, "--classes", "3", "--image-size", "32", "--out", model.toString())
                .exit()).isZero();
        Path image = StripeImages.write(tmp.resolve("stripes"), 1, 3).resolve("vertical/000.png");
        Path out = tmp.resolve("cam");

        CommandsTest.Run wrongClass = repvgg("cam", "--model", model.toString(), "--out", out.toString(), "--class", "7",
                image.toString());
        assertThat(wrongClass.exit()).isEqualTo(1);
        assertThat(wrongClass.err()).contains("--class 7: no such class", "3 classes", "an index 0..2");

        CommandsTest.Run wrongLayer = repvgg("cam", "--model", model.toString(), "--out", out.toString(), "--layer",
                "stage5", image.toString());
        assertThat(wrongLayer.exit()).isEqualTo(1);
        assertThat(wrongLayer.err()).contains("no layer 'stage5'", "stage0, stage1, stage2, stage3, stage4");

        Path file = model.resolve("model.safetensors");
        CommandsTest.Run notADirectory = repvgg("cam", "--model", file.toString(), "--out", out.toString(),
                image.toString());
        assertThat(notADirectory.exit()).isEqualTo(1);
        assertThat(notADirectory.err()).contains(file + ": cam needs a model directory");

        Path list = tmp.resolve("some.txt");
        Files.writeString(list, "stripes/vertical/000.png 1\n");
        CommandsTest.Run small = repvgg("cam", "--model", model.toString(), "--out", out.toString(), "--side", "50",
                "--class", "2", "--list", list.toString());
        assertThat(small.exit()).as(small.err()).isZero();
        assertThat(small.out()).contains(image + ": class_2 ", "(stage4.0, 1x1)");
        assertThat(ImageIO.read(out.resolve("000.cam.png").toFile()).getWidth()).isEqualTo(50);
    }
}
