package org.repvgg4j.data.augment;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.repvgg4j.data.ImageDecoder;
import org.repvgg4j.data.RgbImage;

/** Each operation against Pillow 9.4's result on the same picture (tools/make_augment_fixtures.py): equal to the byte. */
class ImageOpsTest {

    private static final Path FIXTURES = Path.of("src", "test", "resources", "augment");
    private static final int[] FILL = {124, 116, 104};

    static Stream<Arguments> pillowResults() throws IOException {
        List<String> rows = Files.readAllLines(FIXTURES.resolve("manifest.tsv"));
        return rows.stream().filter(r -> !r.isBlank()).map(r -> {
            String[] f = r.split("\t", -1);
            return Arguments.of(f[0], f[1], f[2]);
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pillowResults")
    void matchesPillow(String file, String operation, String argument) throws IOException {
        RgbImage input = ImageDecoder.read(FIXTURES.resolve("input.png"));
        RgbImage expected = ImageDecoder.read(FIXTURES.resolve(file));
        RgbImage actual = apply(operation, argument, input);

        assertThat(actual.width()).isEqualTo(expected.width());
        assertThat(actual.height()).isEqualTo(expected.height());
        assertThat(actual.pixels()).as(file + ": every value as Pillow computes it").isEqualTo(expected.pixels());
        assertThat(actual.pixels()).as(file + ": the operation changed something").isNotEqualTo(input.pixels());
    }

    private static RgbImage apply(String operation, String argument, RgbImage input) {
        double a = argument.isEmpty() ? 0 : Double.parseDouble(argument);
        return switch (operation) {
            case "invert" -> ImageOps.invert(input);
            case "autocontrast" -> ImageOps.autoContrast(input);
            case "equalize" -> ImageOps.equalize(input);
            case "solarize" -> ImageOps.solarize(input, (int) a);
            case "solarizeadd" -> ImageOps.solarizeAdd(input, (int) a, 128);
            case "posterize" -> ImageOps.posterize(input, (int) a);
            case "color" -> ImageOps.color(input, a);
            case "contrast" -> ImageOps.contrast(input, a);
            case "brightness" -> ImageOps.brightness(input, a);
            case "sharpness" -> ImageOps.sharpness(input, a);
            case "shearx" -> ImageOps.shearX(input, a, FILL);
            case "sheary" -> ImageOps.shearY(input, a, FILL);
            case "translatex" -> ImageOps.translateX(input, a, FILL);
            case "translatey" -> ImageOps.translateY(input, a, FILL);
            case "rotate" -> ImageOps.rotate(input, a, FILL);
            default -> throw new IllegalArgumentException("unknown operation " + operation);
        };
    }
}
