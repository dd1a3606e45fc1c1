package org.repvgg4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageDecoderTest {

    @TempDir
    Path tmp;

    private static Path fixture(String name) throws URISyntaxException {
        return Path.of(ImageDecoderTest.class.getResource("/images/" + name).toURI());
    }

    /** tools/make_image_fixtures.sh: red = 51 * column, green = 85 * row, blue = 63. */
    private static void assertGradient(RgbImage image, int tolerance) {
        assertThat(image.width()).isEqualTo(6);
        assertThat(image.height()).isEqualTo(4);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 6; x++) {
                assertThat(image.get(x, y, 0)).as("R at %d,%d", x, y).isCloseTo(51 * x, org.assertj.core.api.Assertions.within(tolerance));
                assertThat(image.get(x, y, 1)).as("G at %d,%d", x, y).isCloseTo(85 * y, org.assertj.core.api.Assertions.within(tolerance));
                assertThat(image.get(x, y, 2)).as("B at %d,%d", x, y).isCloseTo(63, org.assertj.core.api.Assertions.within(tolerance));
            }
        }
    }

    @Test
    void palettePngDecodesToItsColours() throws Exception {
        assertGradient(ImageDecoder.read(fixture("rgb.png")), 0);
    }

    @Test
    void losslessWebpDecodes() throws Exception {
        assertGradient(ImageDecoder.read(fixture("lossless.webp")), 0);
    }

    @Test
    void cmykJpegIsConvertedToRgb() throws Exception {
        // JPEG is lossy and the CMYK round trip goes through a colour profile: close, not exact.
        assertGradient(ImageDecoder.read(fixture("cmyk.jpg")), 24);
    }

    @Test
    void threeByteImagesAreCopiedWithTheValuesGetRgbGives() {
        java.util.Random random = new java.util.Random(4);
        BufferedImage bgr = new BufferedImage(37, 23, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < 23; y++) {
            for (int x = 0; x < 37; x++) {
                bgr.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        // A sub-image shares the parent's bytes with an offset: the general path must handle it.
        BufferedImage sub = bgr.getSubimage(3, 2, 20, 15);
        for (BufferedImage image : new BufferedImage[] {bgr, sub}) {
            RgbImage rgb = ImageDecoder.toRgb(image);
            for (int y = 0; y < image.getHeight(); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    int p = image.getRGB(x, y);
                    assertThat(new int[] {rgb.get(x, y, 0), rgb.get(x, y, 1), rgb.get(x, y, 2)})
                            .as("pixel %d,%d", x, y).containsExactly((p >> 16) & 255, (p >> 8) & 255, p & 255);
                }
            }
        }
    }

    @Test
    void grayscaleKeepsItsLevelsInAllThreeChannels() throws Exception {
        BufferedImage gray = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setSample(0, 0, 0, 0);
        gray.getRaster().setSample(1, 0, 0, 128);
        gray.getRaster().setSample(2, 0, 0, 255);
        Path file = tmp.resolve("gray.png");
        ImageIO.write(gray, "png", file.toFile());
        RgbImage rgb = ImageDecoder.read(file);
        assertThat(new int[] {rgb.get(1, 0, 0), rgb.get(1, 0, 1), rgb.get(1, 0, 2)}).containsExactly(128, 128, 128);
        assertThat(rgb.get(2, 0, 1)).isEqualTo(255);

        RgbImage sixteen = ImageDecoder.read(fixture("gray16.png"));
        assertThat(sixteen.get(0, 0, 0)).isEqualTo(sixteen.get(0, 0, 2));
    }

    @Test
    void alphaIsDroppedNotBlended() throws Exception {
        BufferedImage argb = new BufferedImage(1, 1, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, 0x20C08040);
        Path file = tmp.resolve("alpha.png");
        ImageIO.write(argb, "png", file.toFile());
        RgbImage rgb = ImageDecoder.read(file);
        assertThat(new int[] {rgb.get(0, 0, 0), rgb.get(0, 0, 1), rgb.get(0, 0, 2)}).containsExactly(0xC0, 0x80, 0x40);
    }

    @Test
    void truncatedJpegIsAnErrorNotAGrayFilledPicture() throws IOException {
        BufferedImage photo = new BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 48; y++) {
            for (int x = 0; x < 64; x++) {
                photo.setRGB(x, y, (x * 4) << 16 | (y * 5) << 8 | 90);
            }
        }
        Path whole = tmp.resolve("photo.jpg");
        ImageIO.write(photo, "jpeg", whole.toFile());
        assertThat(ImageDecoder.read(whole).width()).isEqualTo(64);
        byte[] bytes = Files.readAllBytes(whole);
        Path cut = tmp.resolve("cut.jpg");
        Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length * 2 / 3));
        assertThatThrownBy(() -> ImageDecoder.read(cut)).hasMessageContaining(cut.toString());
    }

    @Test
    void unreadableFilesAreNamed() throws IOException {
        Path empty = Files.createFile(tmp.resolve("empty.jpg"));
        assertThatThrownBy(() -> ImageDecoder.read(empty)).hasMessage(empty + ": empty file");
        Path text = Files.writeString(tmp.resolve("notes.png"), "hello");
        assertThatThrownBy(() -> ImageDecoder.read(text)).hasMessageContaining(text.toString());
        Path truncated = tmp.resolve("cut.png");
        byte[] png = Files.readAllBytes(TestImages.png(tmp.resolve("whole.png")));
        Files.write(truncated, java.util.Arrays.copyOf(png, 30));
        assertThatThrownBy(() -> ImageDecoder.read(truncated)).hasMessageContaining(truncated.toString());
        assertThatThrownBy(() -> ImageDecoder.read(tmp.resolve("gone.png")))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("gone.png");
    }

    @Test
    void bytesDecodeLikeTheFileAndFailNamingTheGivenName() throws IOException {
        BufferedImage photo = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < 40; x++) {
                photo.setRGB(x, y, (x * 6) << 16 | (y * 8) << 8 | 70);
            }
        }
        Path whole = tmp.resolve("photo.jpg");
        ImageIO.write(photo, "jpeg", whole.toFile());
        byte[] bytes = Files.readAllBytes(whole);
        RgbImage fromFile = ImageDecoder.read(whole);
        RgbImage fromBytes = ImageDecoder.read(bytes, "s3://bucket/photo.jpg");
        assertThat(fromBytes.width()).isEqualTo(40);
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < 40; x++) {
                assertThat(fromBytes.get(x, y, 0)).isEqualTo(fromFile.get(x, y, 0));
                assertThat(fromBytes.get(x, y, 2)).isEqualTo(fromFile.get(x, y, 2));
            }
        }
        byte[] cut = java.util.Arrays.copyOf(bytes, bytes.length * 2 / 3);
        assertThatThrownBy(() -> ImageDecoder.read(cut, "cut.jpg")).hasMessageStartingWith("cut.jpg: ");
        assertThatThrownBy(() -> ImageDecoder.read(new byte[0], "empty.jpg")).hasMessage("empty.jpg: empty file")
                .isInstanceOf(ImageDecoder.NotAnImage.class);
        assertThatThrownBy(() -> ImageDecoder.read("hello".getBytes(), "notes.png")).hasMessage("notes.png: not a readable image")
                .isInstanceOf(ImageDecoder.NotAnImage.class);
        // Damage is not "not an image": a caller answering with a different message must be able to tell.
        assertThatThrownBy(() -> ImageDecoder.read(cut, "cut.jpg")).isNotInstanceOf(ImageDecoder.NotAnImage.class);
        assertThatThrownBy(() -> ImageDecoder.read(bytes, "photo.jpg", 40 * 30 - 1))
                .isInstanceOfSatisfying(ImageDecoder.TooLarge.class, e -> assertThat(e.pixels()).isEqualTo(1200));
    }

    @Test
    void anImageAboveThePixelLimitIsRefusedFromItsHeaderNamingFileAndSize() throws Exception {
        Path file = TestImages.png(tmp.resolve("wide.png"));
        RgbImage image = ImageDecoder.read(file);
        long pixels = (long) image.width() * image.height();
        assertThat(ImageDecoder.read(file, pixels).width()).isEqualTo(image.width());
        assertThatThrownBy(() -> ImageDecoder.read(file, pixels - 1))
                .isInstanceOf(ImageDecoder.TooLarge.class)
                .hasMessageStartingWith(file + ": " + image.width() + "x" + image.height() + " is ");
        assertThat(ImageDecoder.maxPixels()).isEqualTo(100_000_000L);
    }
}
