package org.repvgg4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ListFileTest {

    @TempDir
    Path tmp;

    @Test
    void pathsMayContainSpacesAndResolveAgainstTheListsFolder() throws IOException {
        Path list = tmp.resolve("data/val.txt");
        Files.createDirectories(list.getParent());
        Files.writeString(list, "val/sun flower/my photo 1.jpg 2\n\n/abs/x.jpg 0\r\n  b.png\t1  \n");

        ListFile read = ListFile.read(list);

        assertThat(read.entries()).containsExactly(
                new ListEntry(tmp.resolve("data/val/sun flower/my photo 1.jpg"), OptionalInt.of(2), 1),
                new ListEntry(Path.of("/abs/x.jpg"), OptionalInt.of(0), 3),
                new ListEntry(tmp.resolve("data/b.png"), OptionalInt.of(1), 4));
        assertThat(read.labelled()).isTrue();
        assertThat(read.where(read.entries().get(2))).isEqualTo(list + ":4");
    }

    @Test
    void theLastFieldIsALabelOnlyWhenItIsAnInteger() throws IOException {
        Path list = tmp.resolve("batch.txt");
        Files.writeString(list, "\uFEFFholiday 2019.jpg\nscan 3.5\n7\n");

        ListFile read = ListFile.read(list);

        assertThat(read.labelled()).isFalse();
        assertThat(read.entries()).extracting(ListEntry::path)
                .containsExactly(tmp.resolve("holiday 2019.jpg"), tmp.resolve("scan 3.5"), tmp.resolve("7"));
        assertThat(read.entries()).allSatisfy(e -> assertThat(e.label()).isEmpty());
    }

    @Test
    void aListMixingLabelledAndUnlabelledLinesIsRefusedAtTheFirstOddLine() throws IOException {
        Path list = tmp.resolve("train.txt");
        Files.writeString(list, "a.jpg 0\n\nb.jpg 1\nmy photo.jpg\n");
        assertThatThrownBy(() -> ListFile.read(list)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(list + ":4: no label, but line 1 has one");

        Files.writeString(list, "a.jpg\nb.jpg 1\n");
        assertThatThrownBy(() -> ListFile.read(list)).hasMessageStartingWith(list + ":2: ends in a label, but line 1 has none");
    }

    @Test
    void aLabelTooLargeForAnIndexNamesTheLine() throws IOException {
        Path list = tmp.resolve("train.txt");
        Files.writeString(list, "a.jpg 0\nb.jpg 99999999999\n");
        assertThatThrownBy(() -> ListFile.read(list)).hasMessage(list + ":2: label 99999999999 is not a valid class index");
    }

    @Test
    void aMissingListFileIsNamed() {
        assertThatThrownBy(() -> ListFile.read(tmp.resolve("nope.txt"))).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("nope.txt");
    }

    @Test
    void checkNamesListAndLineOfAMissingImageAndALabelOutOfRange() throws IOException {
        TestImages.png(tmp.resolve("a.png"));
        TestImages.png(tmp.resolve("b.png"));
        Path list = tmp.resolve("val.txt");
        Files.writeString(list, "a.png 0\nb.png 9\n\ngone.png 1\nb.png 12\n");
        Path classFile = Path.of("annotations.txt");

        ListFile read = ListFile.read(list);

        assertThat(read.problems(10, classFile)).containsExactly(
                list + ":4: " + tmp.resolve("gone.png") + " does not exist",
                list + ":5: label 12 is out of range (annotations.txt has 10 classes)");
        assertThatThrownBy(() -> read.check(10, classFile)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(list + ":4: " + tmp.resolve("gone.png") + " does not exist [and 1 more problem in " + list + "]");
        assertThat(read.problems(13, classFile)).hasSize(1);
        assertThat(read.missingImages()).hasSize(1);
        ClassIndex thirteen = new ClassIndex(List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m"));
        assertThatThrownBy(() -> read.check(thirteen, classFile))
                .hasMessage(list + ":4: " + tmp.resolve("gone.png") + " does not exist");
    }

    @Test
    void checkPassesAValidListAndRefusesEmptyOrUnlabelledOnes() throws IOException {
        TestImages.png(tmp.resolve("a.png"));
        Path list = tmp.resolve("train.txt");
        Files.writeString(list, "a.png 1\n");
        ListFile.read(list).check(2, null);

        Files.writeString(list, "\n\n");
        assertThatThrownBy(() -> ListFile.read(list).check(2, null)).hasMessage(list + ": no images listed");
        Files.writeString(list, "a.png\n");
        assertThatThrownBy(() -> ListFile.read(list).check(2, null)).hasMessageStartingWith(list + ": no labels");
        ListFile.read(list).checkImagesExist();
    }

    @Test
    void writtenListsReadBackTheSamePathsAndLabels() throws IOException {
        Path list = tmp.resolve("out/train.txt");
        Path inside = tmp.resolve("out/train/sun flower/my photo 1.png");
        Path outside = tmp.resolve("elsewhere/x 2.png");
        new ListFile(list, List.of(ListEntry.of(inside, 3), ListEntry.of(outside, 0))).write();

        assertThat(Files.readString(list)).isEqualTo("train/sun flower/my photo 1.png 3\n" + outside + " 0\n");
        assertThat(ListFile.read(list).entries()).containsExactly(
                new ListEntry(inside, OptionalInt.of(3), 1), new ListEntry(outside, OptionalInt.of(0), 2));
        try (var files = Files.list(list.getParent())) {
            assertThat(files).as("no temporary file left behind").containsExactly(list);
        }
    }

    @Test
    void writingRefusesPathsThatWouldNotReadBackTheSame() {
        Path list = tmp.resolve("batch.txt");
        assertThatThrownBy(() -> new ListFile(list, List.of(ListEntry.unlabelled(tmp.resolve("scan 3")))).write())
                .hasMessageContaining("'scan 3' without a label");
        assertThatThrownBy(() -> new ListFile(list, List.of(ListEntry.of(tmp.resolve("a\nb.png"), 0))).write())
                .hasMessageContaining("line break");
        assertThatThrownBy(() -> new ListFile(list, List.of(ListEntry.of(tmp.resolve("a.png"), 0),
                ListEntry.unlabelled(tmp.resolve("b.png")))).write()).hasMessageContaining("cannot mix");
        assertThat(list).doesNotExist();
    }

    @Test
    void aLabelThatIsNotAnIntegerIsNamedAsSuch() throws IOException {
        Path list = tmp.resolve("train.txt");
        Files.writeString(list, "a.jpg 0\nb.jpg cat\n");
        assertThatThrownBy(() -> ListFile.read(list)).hasMessageStartingWith(list + ":2: no label: 'cat' at the end is "
                + "not a class index (an integer 0..N-1 from the class file), but line 1 has one");
        Files.writeString(list, "a.jpg dog\nb.jpg 1.5\n");
        ListFile read = ListFile.read(list);
        assertThatThrownBy(read::samples).hasMessageStartingWith(list + ":1: no label: 'dog' at the end is not a class index");
        Files.writeString(list, "b.jpg 1.5\n");
        assertThatThrownBy(ListFile.read(list)::samples).hasMessageStartingWith(list + ":1: no label: '1.5' at the end");
    }
}
