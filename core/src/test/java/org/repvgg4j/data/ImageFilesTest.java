package org.repvgg4j.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFilesTest {

    @TempDir
    Path tmp;

    @Test
    void imageExtensionsAreRecognisedInAnyCase() {
        for (String name : List.of("A.JPG", "b.jpeg", "c.Png", "d.BMP", "e.gif", "f.WebP")) {
            assertThat(ImageFiles.hasImageExtension(Path.of(name))).as(name).isTrue();
        }
        for (String name : List.of("notes.txt", "jpg", ".png", "x.jpg.bak", "x.dat")) {
            assertThat(ImageFiles.hasImageExtension(Path.of(name))).as(name).isFalse();
        }
    }

    @Test
    void formatsAreRecognisedByTheirFirstBytes() throws IOException {
        assertThat(ImageFiles.format(TestImages.write(tmp.resolve("a"), "png"))).contains(ImageFiles.Format.PNG);
        assertThat(ImageFiles.format(TestImages.write(tmp.resolve("b"), "jpeg"))).contains(ImageFiles.Format.JPEG);
        assertThat(ImageFiles.format(TestImages.write(tmp.resolve("c"), "gif"))).contains(ImageFiles.Format.GIF);
        assertThat(ImageFiles.format(TestImages.write(tmp.resolve("d"), "bmp"))).contains(ImageFiles.Format.BMP);
        Path webp = Files.write(tmp.resolve("e"), "RIFF\u0024\0\0\0WEBPVP8 ".getBytes(StandardCharsets.ISO_8859_1));
        assertThat(ImageFiles.format(webp)).contains(ImageFiles.Format.WEBP);
        Path text = Files.writeString(tmp.resolve("f"), "BMW and GIF8 are not images in a text file\n");
        assertThat(ImageFiles.format(text)).isEmpty();
        assertThat(ImageFiles.format(Files.createFile(tmp.resolve("g")))).isEmpty();
    }

    @Test
    void aPngNamedDatIsAnImageAndNotesAreNot() throws IOException {
        Path png = TestImages.png(tmp.resolve("x.dat"));
        Path noExtension = TestImages.write(tmp.resolve("scan"), "jpeg");
        Path notes = Files.writeString(tmp.resolve("notes.txt"), "shot in 2019\n");

        ImageFiles.Listing listing = ImageFiles.list(tmp);

        assertThat(listing.images()).containsExactly(noExtension, png);
        assertThat(listing.notImages()).containsExactly(notes);
        assertThat(listing.unreadable()).isEmpty();
    }

    @Test
    void anEmptyOrMislabelledImageFileIsUnreadable() throws IOException {
        Files.createFile(tmp.resolve("broken.jpg"));
        Files.writeString(tmp.resolve("fake.PNG"), "<html>not found</html>");
        Path real = TestImages.write(tmp.resolve("real.png"), "jpeg"); // content decides, not the extension

        ImageFiles.Listing listing = ImageFiles.list(tmp);

        assertThat(listing.images()).containsExactly(real);
        assertThat(listing.unreadable()).containsExactly(
                new ImageFiles.Unreadable(tmp.resolve("broken.jpg"), "empty file"),
                new ImageFiles.Unreadable(tmp.resolve("fake.PNG"),
                        "not a JPEG, PNG, GIF, BMP or WebP image (its first bytes match none)"));
        assertThat(listing.notImages()).isEmpty();
    }

    @Test
    void hiddenFilesAndFoldersAreSkippedEntirely() throws IOException {
        TestImages.png(tmp.resolve(".hidden.png"));
        TestImages.png(tmp.resolve("._a.png"));
        TestImages.png(tmp.resolve(".thumbnails/a.png"));
        Files.writeString(tmp.resolve(".DS_Store"), "x");
        Path visible = TestImages.png(tmp.resolve("a.png"));

        ImageFiles.Listing listing = ImageFiles.list(tmp);

        assertThat(listing.images()).containsExactly(visible);
        assertThat(listing.unreadable()).isEmpty();
        assertThat(listing.notImages()).isEmpty();
    }

    @Test
    void filesAreListedRecursivelyInCodePointOrderOfTheirRelativePaths() throws IOException {
        for (String name : List.of("b.png", "sub/c.png", "a.png", "B.png", "a b.png", "sub/a.png", "a10.png", "a9.png")) {
            TestImages.png(tmp.resolve(name));
        }
        List<String> names = ImageFiles.list(tmp).images().stream()
                .map(p -> ImageFiles.relativeName(tmp, p)).toList();
        assertThat(names).containsExactly("B.png", "a b.png", "a.png", "a10.png", "a9.png", "b.png", "sub/a.png", "sub/c.png");
    }

    @Test
    void aNameAListCannotHoldIsUnreadable() throws IOException {
        TestImages.png(tmp.resolve("trailing space.png "));
        ImageFiles.Listing listing = ImageFiles.list(tmp);
        assertThat(listing.images()).isEmpty();
        assertThat(listing.unreadable()).singleElement()
                .extracting(ImageFiles.Unreadable::reason).asString().contains("leading/trailing spaces");
    }
}
