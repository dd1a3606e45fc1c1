package org.repvgg4j.data.augment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.repvgg4j.data.ImageDecoder;
import org.repvgg4j.data.RgbImage;

class AugmentationTest {

    private static RgbImage picture() throws IOException {
        return ImageDecoder.read(Path.of("src", "test", "resources", "augment", "input.png"));
    }

    @Test
    void policiesAreReadFromTimmsConfigurationStrings() {
        assertThat(Augmentation.parse(null)).isNull();
        assertThat(Augmentation.parse("none")).isNull();
        assertThat(Augmentation.parse("autoaugment")).isEqualTo(new AutoAugment(0));
        assertThat(Augmentation.parse("original-mstd0.5")).isEqualTo(new AutoAugment(0.5));
        assertThat(Augmentation.parse("randaugment")).isEqualTo(new RandAugment(9, 2, 0.5, true));
        assertThat(Augmentation.parse("rand-m7-n3")).isEqualTo(new RandAugment(7, 3, 0, false));
        for (String id : List.of("original", "original-mstd0.5", "rand-m9-n2-mstd0.5-inc1", "rand-m7-n3", "rand-m6.5-n1")) {
            assertThat(Augmentation.parse(id).id()).as("round trip").isEqualTo(id);
        }
        assertThatThrownBy(() -> Augmentation.parse("rand-x9")).hasMessageContaining("unknown section 'x9'")
                .hasMessageContaining("use none, autoaugment");
        assertThatThrownBy(() -> Augmentation.parse("rand-mten")).hasMessageContaining("section 'mten' needs a number");
        assertThatThrownBy(() -> Augmentation.parse("rand-m11")).hasMessageContaining("magnitude in [0, 10]");
        assertThatThrownBy(() -> Augmentation.parse("trivial")).hasMessageContaining("'trivial': unknown policy");
    }

    @Test
    void autoAugmentHasThePapersTwentyFiveImageNetSubPolicies() {
        List<List<AugmentOp>> policies = new AutoAugment(0).subPolicies();
        assertThat(policies).hasSize(25).allSatisfy(p -> assertThat(p).hasSize(2));
        assertThat(policies.get(0)).containsExactly(
                new AugmentOp(AugmentOp.Operation.POSTERIZE_ORIGINAL, 0.4, 8, 0),
                new AugmentOp(AugmentOp.Operation.ROTATE, 0.6, 9, 0));
        assertThat(policies.get(18)).containsExactly(
                new AugmentOp(AugmentOp.Operation.SHEAR_X, 0.6, 5, 0),
                new AugmentOp(AugmentOp.Operation.EQUALIZE, 1.0, 9, 0));
    }

    @Test
    void magnitudesMapToOperationArgumentsAsTimmDoes() throws IOException {
        RgbImage image = picture();
        Random unused = new Random(0);
        assertThat(AugmentOp.Operation.SOLARIZE.apply(image, 5, unused).pixels())
                .isEqualTo(ImageOps.solarize(image, 128).pixels());
        assertThat(AugmentOp.Operation.POSTERIZE_ORIGINAL.apply(image, 8, unused).pixels())
                .isEqualTo(ImageOps.posterize(image, 7).pixels());
        assertThat(AugmentOp.Operation.POSTERIZE_INCREASING.apply(image, 10, unused).pixels())
                .isEqualTo(ImageOps.posterize(image, 0).pixels());
        assertThat(AugmentOp.Operation.SOLARIZE_ADD.apply(image, 10, unused).pixels())
                .isEqualTo(ImageOps.solarizeAdd(image, 110, 128).pixels());
        assertThat(AugmentOp.Operation.CONTRAST.apply(image, 0, unused).pixels())
                .isEqualTo(ImageOps.contrast(image, 0.1).pixels());
        assertThat(AugmentOp.Operation.COLOR.apply(image, 5, unused).pixels()).as("factor 1 is no change")
                .isEqualTo(image.pixels());
        // Signed arguments: the sign is the operation's first draw, so the same seed predicts it.
        boolean negative = new Random(3).nextBoolean();
        assertThat(AugmentOp.Operation.ROTATE.apply(image, 10, new Random(3)).pixels())
                .isEqualTo(ImageOps.rotate(image, negative ? -30 : 30, AugmentOp.FILL).pixels());
        assertThat(AugmentOp.Operation.TRANSLATE_X_REL.apply(image, 10, new Random(3)).pixels())
                .isEqualTo(ImageOps.translateX(image, (negative ? -0.45 : 0.45) * image.width(), AugmentOp.FILL).pixels());
        assertThat(AugmentOp.Operation.BRIGHTNESS_INCREASING.apply(image, 10, new Random(3)).pixels())
                .isEqualTo(ImageOps.brightness(image, negative ? 0.1 : 1.9).pixels());
    }

    @Test
    void aStepHappensWithItsProbability() throws IOException {
        RgbImage image = picture();
        Random random = new Random(1);
        AugmentOp never = new AugmentOp(AugmentOp.Operation.INVERT, 0, 5, 0);
        AugmentOp half = new AugmentOp(AugmentOp.Operation.INVERT, 0.5, 5, 0);
        int inverted = 0;
        for (int i = 0; i < 4000; i++) {
            assertThat(never.apply(image, random)).isSameAs(image);
            inverted += half.apply(image, random) != image ? 1 : 0;
        }
        assertThat(inverted / 4000.0).isCloseTo(0.5, within(0.03));
    }

    @Test
    void policiesAreDeterministicForASeedAndVaryAcrossSeeds() throws IOException {
        RgbImage image = picture();
        for (Augmentation policy : List.of(new AutoAugment(0), new RandAugment(9, 2, 0.5, true))) {
            int changed = 0;
            for (int seed = 0; seed < 40; seed++) {
                RgbImage a = policy.apply(image, new Random(seed));
                RgbImage b = policy.apply(image, new Random(seed));
                assertThat(a.pixels()).as(policy.id() + " seed " + seed).isEqualTo(b.pixels());
                changed += Arrays.equals(a.pixels(), image.pixels()) ? 0 : 1;
            }
            // AutoAugment leaves an image alone only when both steps are skipped; RandAugment when
            // both draws (probability 0.5 each) are skipped, about a quarter of the time.
            assertThat(changed).as(policy.id() + ": images changed of 40").isBetween(20, 40);
        }
    }

    @Test
    void randomErasingReplacesOneRectangleOfTheRightSizeWithNoise() {
        int size = 48;
        RandomErasing always = new RandomErasing(1);
        Random random = new Random(5);
        for (int trial = 0; trial < 200; trial++) {
            float[] chw = new float[3 * size * size];
            Arrays.fill(chw, 7f);
            int[] box = always.apply(chw, size, random);
            assertThat(box).isNotNull();
            double area = (double) box[2] * box[3] / (size * size);
            assertThat(area).as("area fraction").isBetween(0.015, 0.36);
            int plane = size * size;
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        boolean inside = x >= box[0] && x < box[0] + box[2] && y >= box[1] && y < box[1] + box[3];
                        float v = chw[c * plane + y * size + x];
                        assertThat(v == 7f).as("trial %d at (%d, %d)", trial, x, y).isEqualTo(!inside);
                    }
                }
            }
        }
        RandomErasing quarter = new RandomErasing(0.25);
        int erased = 0;
        for (int trial = 0; trial < 4000; trial++) {
            erased += quarter.apply(new float[3 * size * size], size, random) != null ? 1 : 0;
        }
        assertThat(erased / 4000.0).isCloseTo(0.25, within(0.025));
        assertThat(new RandomErasing(0).apply(new float[3 * size * size], size, random)).isNull();
        assertThatThrownBy(() -> new RandomErasing(1.5)).hasMessageContaining("must be in [0, 1], got 1.5");
    }
}
