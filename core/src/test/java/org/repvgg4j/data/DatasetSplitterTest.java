package org.repvgg4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetSplitterTest {

    @TempDir
    Path tmp;

    @Test
    void valCountIsTheRoundedRatioButAtLeastOneAndNeverAll() {
        assertThat(DatasetSplitter.valCount(10, 0.2)).isEqualTo(2);
        assertThat(DatasetSplitter.valCount(200, 0.2)).isEqualTo(40);
        assertThat(DatasetSplitter.valCount(7, 0.2)).isEqualTo(1);   // 1.4
        assertThat(DatasetSplitter.valCount(8, 0.2)).isEqualTo(2);   // 1.6
        assertThat(DatasetSplitter.valCount(3, 0.1)).isEqualTo(1);   // 0.3, but every class is validated
        assertThat(DatasetSplitter.valCount(2, 0.9)).isEqualTo(1);   // 1.8, but every class is trained
        assertThat(DatasetSplitter.valCount(1, 0.5)).isZero();
    }

    @Test
    void eachClassIsSplitByTheRatio() throws IOException {
        Path input = tmp.resolve("in");
        TestImages.pngs(input.resolve("cat"), 10);
        TestImages.pngs(input.resolve("dog"), 5);
        TestImages.pngs(input.resolve("eel"), 2);
        TestImages.pngs(input.resolve("fox"), 1);
        Path out = tmp.resolve("out");

        DatasetSplitter.Report report = DatasetSplitter.split(input, out, 0.2, 0, false);

        assertThat(report.classes()).containsExactly(
                new ClassCounts("cat", 0, 8, 2), new ClassCounts("dog", 1, 4, 1),
                new ClassCounts("eel", 2, 1, 1), new ClassCounts("fox", 3, 1, 0));
        assertThat(report.trainImages()).isEqualTo(14);
        assertThat(report.valImages()).isEqualTo(4);
        assertThat(report.warnings()).containsExactly("class 'fox' has only 1 image; it went to train and val has none of this class");
        assertThat(countFiles(out.resolve("train/cat"))).isEqualTo(8);
        assertThat(countFiles(out.resolve("val/cat"))).isEqualTo(2);
        assertThat(out.resolve("val/fox")).doesNotExist();
        assertThat(report.placement().copies()).isEqualTo(18);
    }

    @Test
    void writesTheClassFileAndListsRelativeToOut() throws IOException {
        Path input = tmp.resolve("in");
        TestImages.pngs(input.resolve("b"), 3);
        TestImages.pngs(input.resolve("a"), 3);
        Path out = tmp.resolve("out");

        DatasetSplitter.split(input, out, 0.2, 0, false);

        assertThat(Files.readString(out.resolve("annotations.txt"))).isEqualTo("a 0\nb 1\n");
        List<String> train = Files.readAllLines(out.resolve("train.txt"));
        assertThat(train).hasSize(4).allMatch(line -> line.matches("train/a/00\\d\\.png 0|train/b/00\\d\\.png 1"));
        assertThat(train).isSorted();
        assertThat(Files.readAllLines(out.resolve("val.txt"))).hasSize(2)
                .allMatch(line -> line.matches("val/a/00\\d\\.png 0|val/b/00\\d\\.png 1"));
        ClassIndex classes = ClassIndex.read(out.resolve("annotations.txt"));
        ListFile.read(out.resolve("train.txt")).check(classes, out.resolve("annotations.txt"));
        ListFile.read(out.resolve("val.txt")).check(classes, out.resolve("annotations.txt"));
        Path copy = Files.exists(out.resolve("train/a/000.png")) ? out.resolve("train/a/000.png") : out.resolve("val/a/000.png");
        assertThat(Files.readAllBytes(copy)).isEqualTo(Files.readAllBytes(input.resolve("a/000.png")));
        assertThat(Files.isSameFile(copy, input.resolve("a/000.png"))).as("a copy, not a link").isFalse();
    }

    @Test
    void theSameSeedGivesTheSameSplitAndAnotherSeedAnotherOne() throws IOException {
        Path input = tmp.resolve("in");
        TestImages.pngs(input.resolve("cat"), 20);
        TestImages.pngs(input.resolve("dog"), 20);

        DatasetSplitter.split(input, tmp.resolve("s0"), 0.2, 0, false);
        DatasetSplitter.split(input, tmp.resolve("s0again"), 0.2, 0, false);
        DatasetSplitter.split(input, tmp.resolve("s1"), 0.2, 1, false);

        String val0 = Files.readString(tmp.resolve("s0/val.txt"));
        assertThat(Files.readString(tmp.resolve("s0again/val.txt"))).isEqualTo(val0);
        assertThat(Files.readString(tmp.resolve("s0again/train.txt"))).isEqualTo(Files.readString(tmp.resolve("s0/train.txt")));
        assertThat(Files.readString(tmp.resolve("s1/val.txt"))).isNotEqualTo(val0);
        assertThat(val0.lines()).hasSize(8);
    }

    @Test
    void aClassSplitDependsOnlyOnItsOwnFilesNotOnCreationOrderOrOtherClasses() throws IOException {
        Path one = tmp.resolve("one");
        Path two = tmp.resolve("two");
        for (int i = 0; i < 12; i++) {
            TestImages.png(one.resolve("cat").resolve(i + ".png"));
            TestImages.png(two.resolve("cat").resolve((11 - i) + ".png"));
        }
        TestImages.pngs(two.resolve("ant"), 6);

        DatasetSplitter.split(one, tmp.resolve("out1"), 0.25, 7, false);
        DatasetSplitter.split(two, tmp.resolve("out2"), 0.25, 7, false);

        assertThat(Files.readString(tmp.resolve("out2/val.txt")).lines().filter(l -> l.startsWith("val/cat/")).map(l -> l.split(" ")[0]))
                .containsExactlyElementsOf(Files.readString(tmp.resolve("out1/val.txt")).lines().map(l -> l.split(" ")[0]).toList());
    }

    @Test
    void emptyClassesUnreadableFilesAndHiddenFilesAreReportedOrSkipped() throws IOException {
        Path input = tmp.resolve("in");
        TestImages.pngs(input.resolve("cat"), 5);
        TestImages.png(input.resolve("cat/A.JPG"));           // a PNG under an upper-case .JPG: an image
        TestImages.png(input.resolve("cat/x.dat"));           // recognised by content
        Files.createFile(input.resolve("cat/broken.jpg"));    // zero bytes
        Files.writeString(input.resolve("cat/notes.txt"), "taken in 2019");
        TestImages.png(input.resolve("cat/.hidden.png"));
        TestImages.pngs(input.resolve(".git/objects"), 2);
        Files.createDirectories(input.resolve("empty"));
        Files.writeString(input.resolve("README"), "my cats");
        Path out = tmp.resolve("out");

        DatasetSplitter.Report report = DatasetSplitter.split(input, out, 0.2, 0, false);

        assertThat(report.classes()).containsExactly(new ClassCounts("cat", 0, 6, 1));
        assertThat(report.emptyClasses()).containsExactly("empty");
        assertThat(report.unreadable()).extracting(ImageFiles.Unreadable::file).containsExactly(input.resolve("cat/broken.jpg"));
        assertThat(report.notImages()).containsExactly(input.resolve("cat/notes.txt"));
        assertThat(report.looseFiles()).containsExactly(input.resolve("README"));
        assertThat(report.warnings()).contains(
                "class folder 'empty' has no images; it was skipped and has no index",
                "1 unreadable file skipped: " + input.resolve("cat/broken.jpg") + ": empty file",
                "1 file that is not an image skipped: " + input.resolve("cat/notes.txt"));
        assertThat(Files.readString(out.resolve("annotations.txt"))).isEqualTo("cat 0\n");
        assertThat(Files.readString(out.resolve("train.txt")) + Files.readString(out.resolve("val.txt")))
                .contains("/A.JPG 0", "/x.dat 0").doesNotContain("broken", "notes", "hidden", ".git");
    }

    @Test
    void pathsWithSpacesRoundTripThroughTheLists() throws IOException {
        Path input = tmp.resolve("my photos");
        for (int i = 0; i < 5; i++) {
            TestImages.png(input.resolve("sun flower/holiday " + i + ".png"));
        }
        TestImages.png(input.resolve("rose/in the garden/1 2 3.png"));
        TestImages.png(input.resolve("rose/4.png"));
        Path out = tmp.resolve("split out");

        DatasetSplitter.split(input, out, 0.2, 0, false);

        ClassIndex classes = ClassIndex.read(out.resolve("annotations.txt"));
        assertThat(classes.names()).containsExactly("rose", "sun flower");
        ListFile train = ListFile.read(out.resolve("train.txt"));
        ListFile val = ListFile.read(out.resolve("val.txt"));
        train.check(classes, null);
        val.check(classes, null);
        assertThat(Stream.concat(train.entries().stream(), val.entries().stream()).map(e -> out.relativize(e.path()).toString()))
                .hasSize(7).anyMatch(p -> p.endsWith("rose/in the garden/1 2 3.png")).anyMatch(p -> p.endsWith("sun flower/holiday 3.png"));
    }

    @Test
    void linkingMakesHardLinksToTheInput() throws IOException {
        Path input = tmp.resolve("in");
        TestImages.pngs(input.resolve("cat"), 5);
        TestImages.pngs(input.resolve("dog"), 2);
        Path out = tmp.resolve("out");

        DatasetSplitter.Report report = DatasetSplitter.split(input, out, 0.2, 0, true);

        assertThat(report.placement().hardLinks()).isEqualTo(7);
        assertThat(report.placement().copies()).isZero();
        assertThat(report.warnings()).isEmpty();
        Path placed = Files.exists(out.resolve("train/cat/000.png")) ? out.resolve("train/cat/000.png") : out.resolve("val/cat/000.png");
        assertThat(Files.isSameFile(placed, input.resolve("cat/000.png"))).isTrue();
    }

    @Test
    void refusesANonEmptyOutAndAnOutInsideTheInputWithoutWritingAnything() throws IOException {
        Path input = tmp.resolve("in");
        TestImages.pngs(input.resolve("cat"), 3);
        Path out = tmp.resolve("out");
        Files.createDirectories(out);
        Files.writeString(out.resolve("thesis.tex"), "precious");

        assertThatThrownBy(() -> DatasetSplitter.split(input, out, 0.2, 0, false))
                .hasMessage(out + " is not empty; split writes only into a new or empty folder and never deletes or"
                        + " overwrites files (remove it or choose another --out)");
        try (Stream<Path> files = Files.list(out)) {
            assertThat(files).containsExactly(out.resolve("thesis.tex"));
        }
        assertThatThrownBy(() -> DatasetSplitter.split(input, input.resolve("split"), 0.2, 0, false))
                .hasMessageContaining("is inside the input");
        assertThat(input.resolve("split")).doesNotExist();
        assertThatThrownBy(() -> DatasetSplitter.split(input, tmp.resolve("x"), 1.0, 0, false))
                .hasMessage("the val ratio must be between 0 and 1 (exclusive), got 1.0");
    }

    @Test
    void anInputOneFolderAboveTheClassesGivesOneClassAndAWarning() throws IOException {
        Path input = tmp.resolve("in");
        TestImages.pngs(input.resolve("animals/cat"), 2);
        TestImages.pngs(input.resolve("animals/dog"), 2);

        DatasetSplitter.Report report = DatasetSplitter.split(input, tmp.resolve("out"), 0.2, 0, false);

        assertThat(report.classes()).containsExactly(new ClassCounts("animals", 0, 3, 1));
        assertThat(report.warnings()).containsExactly("only 1 class ('animals') has images; a classifier needs 2 or more"
                + " (is the input one folder above the class folders?)");
    }

    @Test
    void anInputWithoutImagesIsAnError() throws IOException {
        Path input = tmp.resolve("in");
        Files.createDirectories(input.resolve("cat"));
        assertThatThrownBy(() -> DatasetSplitter.split(input, tmp.resolve("out"), 0.2, 0, false))
                .hasMessageStartingWith(input + ": no class folders with images");
        assertThatThrownBy(() -> DatasetSplitter.split(tmp.resolve("nope"), tmp.resolve("out"), 0.2, 0, false))
                .hasMessageContaining("nope").hasMessageContaining("folder not found");
        assertThat(tmp.resolve("out")).doesNotExist();
    }

    private static long countFiles(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.count();
        }
    }
}
