package org.repvgg4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AnnotatorTest {

    @TempDir
    Path tmp;

    @Test
    void withoutAClassFileClassesAreIndexedInSortedOrder() throws IOException {
        TestImages.pngs(tmp.resolve("train/zebra"), 3);
        TestImages.pngs(tmp.resolve("train/apple"), 2);
        TestImages.pngs(tmp.resolve("val/zebra"), 1);
        TestImages.pngs(tmp.resolve("val/apple"), 1);

        Annotator.Report report = Annotator.annotate(tmp);

        assertThat(Files.readString(tmp.resolve("annotations.txt"))).isEqualTo("apple 0\nzebra 1\n");
        assertThat(report.classes()).containsExactly(new ClassCounts("apple", 0, 2, 1), new ClassCounts("zebra", 1, 3, 1));
        assertThat(report.warnings()).isEmpty();
        assertThat(Files.readString(tmp.resolve("train.txt")))
                .isEqualTo("train/apple/000.png 0\ntrain/apple/001.png 0\ntrain/zebra/000.png 1\ntrain/zebra/001.png 1\ntrain/zebra/002.png 1\n");
        assertThat(Files.readString(tmp.resolve("val.txt"))).isEqualTo("val/apple/000.png 0\nval/zebra/000.png 1\n");
    }

    @Test
    void anExistingClassFileKeepsItsOrderGainsNewClassesAtTheEndAndKeepsClassesWithoutImages() throws IOException {
        Files.writeString(tmp.resolve("annotations.txt"), "zebra 0\nghost 1\napple 2\n");
        TestImages.pngs(tmp.resolve("train/apple"), 1);
        TestImages.pngs(tmp.resolve("train/zebra"), 1);
        TestImages.pngs(tmp.resolve("train/mango"), 2);
        TestImages.pngs(tmp.resolve("train/kiwi"), 1);
        TestImages.pngs(tmp.resolve("val/apple"), 1);
        TestImages.pngs(tmp.resolve("val/zebra"), 1);
        TestImages.pngs(tmp.resolve("val/mango"), 1);
        TestImages.pngs(tmp.resolve("val/kiwi"), 1);

        Annotator.Report report = Annotator.annotate(tmp);

        assertThat(Files.readString(tmp.resolve("annotations.txt"))).isEqualTo("zebra 0\nghost 1\napple 2\nkiwi 3\nmango 4\n");
        assertThat(report.appended()).containsExactly("kiwi", "mango");
        assertThat(report.withoutImages()).containsExactly("ghost");
        assertThat(report.classes()).extracting(ClassCounts::name).containsExactly("zebra", "ghost", "apple", "kiwi", "mango");
        assertThat(report.classes().get(1)).isEqualTo(new ClassCounts("ghost", 1, 0, 0));
        assertThat(report.warnings()).containsExactly(
                "appended 2 new classes to " + tmp.resolve("annotations.txt") + " after its existing ones: kiwi, mango",
                "kept 1 class of " + tmp.resolve("annotations.txt") + " that have no images in train/ or val/: ghost");
        assertThat(Files.readString(tmp.resolve("val.txt")))
                .isEqualTo("val/zebra/000.png 0\nval/apple/000.png 2\nval/kiwi/000.png 3\nval/mango/000.png 4\n");
    }

    @Test
    void anUnchangedClassFileIsNotRewritten() throws IOException {
        Path classFile = Files.writeString(tmp.resolve("annotations.txt"), "b 0\na 1\n");
        TestImages.pngs(tmp.resolve("train/a"), 1);
        TestImages.pngs(tmp.resolve("train/b"), 1);
        Files.setLastModifiedTime(classFile, FileTime.fromMillis(0));

        Annotator.annotate(tmp);

        assertThat(Files.getLastModifiedTime(classFile).toMillis()).isZero();
        assertThat(Files.readString(tmp.resolve("train.txt"))).isEqualTo("train/b/000.png 0\ntrain/a/000.png 1\n");
    }

    @Test
    void aClassWithValImagesOnlyAndOneWithoutValAreReported() throws IOException {
        TestImages.pngs(tmp.resolve("train/cat"), 2);
        TestImages.pngs(tmp.resolve("val/cat"), 1);
        TestImages.pngs(tmp.resolve("val/dog"), 1);
        TestImages.pngs(tmp.resolve("train/eel"), 1);
        Files.createDirectories(tmp.resolve("val/eel"));
        Files.createDirectories(tmp.resolve("train/fox"));

        Annotator.Report report = Annotator.annotate(tmp);

        assertThat(report.classes()).containsExactly(new ClassCounts("cat", 0, 2, 1), new ClassCounts("dog", 1, 0, 1),
                new ClassCounts("eel", 2, 1, 0));
        assertThat(report.valOnly()).containsExactly("dog");
        assertThat(report.trainOnly()).containsExactly("eel");
        assertThat(report.emptyFolders()).containsExactly("fox");
        assertThat(report.warnings()).contains("class 'dog' has val images but none in train/", "class 'eel' has no val images",
                "class folder 'fox' has no images; it was skipped and has no index");
    }

    @Test
    void aDataSetWithoutTrainFolderIsAnErrorNamingIt() {
        assertThatThrownBy(() -> Annotator.annotate(tmp)).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(tmp.resolve("train").toString());
    }

    @Test
    void aBadExistingClassFileIsReportedWithItsLineAndNothingIsWritten() throws IOException {
        Files.writeString(tmp.resolve("annotations.txt"), "a 0\nb x\n");
        TestImages.pngs(tmp.resolve("train/a"), 1);
        assertThatThrownBy(() -> Annotator.annotate(tmp)).hasMessage(tmp.resolve("annotations.txt") + ":2: index 'x' is not a number");
        assertThat(tmp.resolve("train.txt")).doesNotExist();
    }

    @Test
    void annotatingASplitReproducesItsLists() throws IOException {
        Path input = tmp.resolve("in");
        TestImages.pngs(input.resolve("cat"), 6);
        TestImages.pngs(input.resolve("dog"), 4);
        Path out = tmp.resolve("out");
        DatasetSplitter.split(input, out, 0.3, 3, false);
        String train = Files.readString(out.resolve("train.txt"));
        String val = Files.readString(out.resolve("val.txt"));

        Annotator.Report report = Annotator.annotate(out);

        assertThat(report.warnings()).isEmpty();
        assertThat(Files.readString(out.resolve("train.txt"))).isEqualTo(train);
        assertThat(Files.readString(out.resolve("val.txt"))).isEqualTo(val);
    }
}
