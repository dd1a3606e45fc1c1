package org.repvgg4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.repvgg4j.cli.CommandsTest.repvgg;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataCommandsTest {

    @TempDir
    Path tmp;

    @Test
    void splitPrintsAPerClassTableAndWritesTheLayout() throws IOException {
        Path input = tmp.resolve("in");
        pngs(input.resolve("cat"), 10);
        pngs(input.resolve("sun flower"), 5);
        Files.createDirectories(input.resolve("empty"));
        Files.createFile(input.resolve("cat/broken.jpg"));
        Path out = tmp.resolve("out");

        CommandsTest.Run run = repvgg("split", "--input", input.toString(), "--out", out.toString(), "--val-ratio", "0.2", "--seed", "0");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains(
                "class      index   train     val   total\n"
                + "cat            0       8       2      10\n"
                + "sun flower     1       4       1       5\n"
                + "total                 12       3      15\n")
                .contains("train.txt (12 images), val.txt (3 images); 15 images copied");
        assertThat(run.err().lines()).containsExactly(
                "split: warning: class folder 'empty' has no images; it was skipped and has no index",
                "split: warning: 1 unreadable file skipped: " + input.resolve("cat/broken.jpg") + ": empty file");
        assertThat(Files.readString(out.resolve("annotations.txt"))).isEqualTo("cat 0\nsun flower 1\n");
        assertThat(out.resolve("train.txt")).exists();
        assertThat(out.resolve("val/sun flower")).isDirectory();
    }

    @Test
    void splitWithLinkSaysHowImagesWerePlaced() throws IOException {
        Path input = tmp.resolve("in");
        pngs(input.resolve("cat"), 4);
        CommandsTest.Run run = repvgg("split", "--input", input.toString(), "--out", tmp.resolve("out").toString(), "--link");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("; 4 images hard-linked");
    }

    @Test
    void splitRefusesBadInputWithOneLine() throws IOException {
        Path input = tmp.resolve("in");
        pngs(input.resolve("cat"), 4);

        CommandsTest.Run ratio = repvgg("split", "--input", input.toString(), "--out", tmp.resolve("o").toString(), "--val-ratio", "1.5");
        assertThat(ratio.exit()).isEqualTo(2);
        assertThat(ratio.err().lines()).containsExactly("split: --val-ratio must be between 0 and 1 (exclusive), got 1.5 (see 'repvgg split --help')");

        Path occupied = Files.createDirectories(tmp.resolve("occupied"));
        Files.writeString(occupied.resolve("keep.txt"), "mine");
        CommandsTest.Run nonEmpty = repvgg("split", "--input", input.toString(), "--out", occupied.toString());
        assertThat(nonEmpty.exit()).isEqualTo(1);
        assertThat(nonEmpty.err().lines()).singleElement().asString().startsWith("split: error: " + occupied + " is not empty");
        assertThat(Files.readString(occupied.resolve("keep.txt"))).isEqualTo("mine");

        CommandsTest.Run missing = repvgg("split", "--input", tmp.resolve("nope").toString(), "--out", tmp.resolve("o").toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err().lines()).containsExactly("split: error: " + tmp.resolve("nope") + ": folder not found");
    }

    @Test
    void annotateKeepsTheExistingIndexOrderAndSaysWhatItAppended() throws IOException {
        Path data = tmp.resolve("data");
        Files.createDirectories(data);
        Files.writeString(data.resolve("annotations.txt"), "zebra 0\napple 1\n");
        pngs(data.resolve("train/apple"), 3);
        pngs(data.resolve("train/zebra"), 2);
        pngs(data.resolve("train/mango"), 2);
        pngs(data.resolve("val/apple"), 1);
        pngs(data.resolve("val/zebra"), 1);
        pngs(data.resolve("val/mango"), 1);

        CommandsTest.Run run = repvgg("annotate", "--dataset", data.toString());

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains(
                "class index   train     val   total\n"
                + "zebra     0       2       1       3\n"
                + "apple     1       3       1       4\n"
                + "mango     2       2       1       3\n"
                + "total             7       3      10\n")
                .contains("appended 1 class to " + data.resolve("annotations.txt") + "; wrote train.txt (7 images), val.txt (3 images)");
        assertThat(run.err().lines()).containsExactly("annotate: warning: appended 1 new class to "
                + data.resolve("annotations.txt") + " after its existing ones: mango");
        assertThat(Files.readString(data.resolve("annotations.txt"))).isEqualTo("zebra 0\napple 1\nmango 2\n");
    }

    @Test
    void annotateWithoutTrainFolderFailsWithOneLine() {
        CommandsTest.Run run = repvgg("annotate", "--dataset", tmp.toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err().lines()).singleElement().asString()
                .startsWith("annotate: error: " + tmp.resolve("train") + ": folder not found");
    }

    private static void pngs(Path folder, int count) throws IOException {
        Files.createDirectories(folder);
        BufferedImage image = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
        for (int i = 0; i < count; i++) {
            ImageIO.write(image, "png", folder.resolve(String.format("%03d.png", i)).toFile());
        }
    }
}
