package org.repvgg4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.repvgg4j.weights.Preprocessing;

class ImageTransformTest {

    private static RgbImage constant(int w, int h, int r, int g, int b) {
        byte[] px = new byte[w * h * 3];
        for (int i = 0; i < w * h; i++) {
            px[3 * i] = (byte) r;
            px[3 * i + 1] = (byte) g;
            px[3 * i + 2] = (byte) b;
        }
        return new RgbImage(w, h, px);
    }

    private static RgbImage ramp(int w, int h) {
        byte[] px = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = (y * w + x) * 3;
                px[i] = (byte) (x * 255 / (w - 1));
                px[i + 1] = (byte) (y * 255 / (h - 1));
                px[i + 2] = (byte) 7;
            }
        }
        return new RgbImage(w, h, px);
    }

    @Test
    void resizingToTheSameSizeKeepsEveryPixel() {
        RgbImage image = ramp(9, 5);
        float[] same = Resampler.cropResize(image, 0, 0, 9, 5, 9, 5);
        for (int i = 0; i < same.length; i++) {
            assertThat(same[i]).isEqualTo(image.pixels()[i] & 0xFF);
        }
    }

    @Test
    void halvingAveragesNeighbours() {
        byte[] px = new byte[4 * 1 * 3];
        int[] values = {0, 100, 200, 40};
        for (int x = 0; x < 4; x++) {
            px[3 * x] = px[3 * x + 1] = px[3 * x + 2] = (byte) values[x];
        }
        float[] half = Resampler.cropResize(new RgbImage(4, 1, px), 0, 0, 4, 1, 2, 1);
        // Triangle filter of radius 2 centred at 1.0 and 3.0: weights 1/4, 1/2... normalised over the image.
        assertThat(half[0]).isCloseTo((0.75f * 0 + 0.75f * 100 + 0.25f * 200) / 1.75f, within(1e-3f));
        assertThat(half[3]).isCloseTo((0.25f * 100 + 0.75f * 200 + 0.75f * 40) / 1.75f, within(1e-3f));
    }

    /**
     * RandomResizedCrop as torchvision runs it on PIL images: the box is cut out, then resized, so
     * the filter reads nothing beyond the box (Pillow references by tools/compare_random_resized_crop.py
     * --fixtures). Pillow rounds to 8 bits between its two passes: within one level. Resampling the
     * box within the whole image, as evaluation's resize-then-crop must, differs along the box's edge.
     */
    @Test
    void cropThenResizeMatchesPillowsCropThenResize() throws Exception {
        RgbImage input = ImageDecoder.read(resource("input.png"));
        for (int[] box : new int[][] {{5, 3, 12, 10, 32}, {2, 1, 36, 30, 16}}) {
            String name = String.format("crop_%d_%d_%dx%d_to_%d.png", box[0], box[1], box[2], box[3], box[4]);
            RgbImage pillow = ImageDecoder.read(resource(name));
            float[] ours = Resampler.cropThenResize(input, box[0], box[1], box[2], box[3], box[4], box[4]);
            float[] withinWhole = Resampler.cropResize(input, box[0], box[1], box[2], box[3], box[4], box[4]);
            assertThat(maxLevelDifference(ours, pillow)).as(name).isLessThanOrEqualTo(1.0);
            assertThat(maxLevelDifference(withinWhole, pillow)).as(name + " resampled within the whole image")
                    .isGreaterThan(1.5);
        }
    }

    private static double maxLevelDifference(float[] hwc, RgbImage pillow) {
        double worst = 0;
        for (int y = 0; y < pillow.height(); y++) {
            for (int x = 0; x < pillow.width(); x++) {
                for (int c = 0; c < 3; c++) {
                    worst = Math.max(worst, Math.abs(hwc[(y * pillow.width() + x) * 3 + c] - pillow.get(x, y, c)));
                }
            }
        }
        return worst;
    }

    private static java.nio.file.Path resource(String name) throws java.net.URISyntaxException {
        return java.nio.file.Path.of(ImageTransformTest.class.getResource("/augment/" + name).toURI());
    }

    @Test
    void evalTransformNormalisesAConstantImageExactly() {
        Preprocessing p = Preprocessing.imagenet(8);
        float[] out = ImageTransform.eval(p).apply(constant(20, 12, 255, 128, 0), null);
        assertThat(out).hasSize(3 * 8 * 8);
        assertThat(out[0]).isCloseTo((1f - 0.485f) / 0.229f, within(1e-5f));
        assertThat(out[64]).isCloseTo((128 / 255f - 0.456f) / 0.224f, within(1e-5f));
        assertThat(out[191]).isCloseTo((0f - 0.406f) / 0.225f, within(1e-5f));
    }

    @Test
    void evalTransformCropsTheCentre() {
        // 16x8 ramp, resize shorter side to 8/0.875 = 9 then crop 8: the crop is centred horizontally.
        Preprocessing p = new Preprocessing(8, 9, List.of(0.0, 0.0, 0.0), List.of(1.0, 1.0, 1.0));
        float[] out = ImageTransform.eval(p).apply(ramp(16, 8), null);
        float left = out[4 * 8];
        float right = out[4 * 8 + 7];
        assertThat((left + right) / 2).isCloseTo(0.5f, within(0.03f));
    }

    @Test
    void trainTransformIsDeterministicForASeedAndVariesWithIt() {
        ImageTransform t = ImageTransform.train(Preprocessing.imagenet(16), 0.2, 1.0);
        RgbImage image = ramp(40, 30);
        float[] a = t.apply(image, new Random(5));
        float[] b = t.apply(image, new Random(5));
        float[] c = t.apply(image, new Random(6));
        assertThat(a).containsExactly(b);
        assertThat(Arrays.equals(a, c)).isFalse();
    }

    @Test
    void augmentationAndErasingComeAfterTheCropAndChangeItDeterministically() {
        Preprocessing p = Preprocessing.imagenet(16);
        RgbImage image = ramp(40, 30);
        ImageTransform plain = ImageTransform.train(p, 0.2, 1.0);
        ImageTransform off = ImageTransform.train(p, 0.2, 1.0, null, 0);
        ImageTransform augmented = ImageTransform.train(p, 0.2, 1.0, new org.repvgg4j.data.augment.AutoAugment(0), 0);
        ImageTransform erased = ImageTransform.train(p, 0.2, 1.0, null, 1);
        int changed = 0;
        for (int seed = 0; seed < 20; seed++) {
            float[] base = plain.apply(image, new Random(seed));
            assertThat(off.apply(image, new Random(seed))).as("off is the plain transform").containsExactly(base);
            float[] a = augmented.apply(image, new Random(seed));
            assertThat(augmented.apply(image, new Random(seed))).containsExactly(a);
            changed += Arrays.equals(a, base) ? 0 : 1;
            float[] e = erased.apply(image, new Random(seed));
            int differing = 0;
            for (int i = 0; i < e.length; i++) {
                differing += e[i] != base[i] ? 1 : 0;
            }
            // The same crop, then at least 2% of it (3 channels) turned to noise.
            assertThat(differing).as("seed %d", seed).isGreaterThanOrEqualTo((int) (0.015 * e.length));
            assertThat(differing).isLessThanOrEqualTo((int) (0.36 * e.length));
        }
        assertThat(changed).as("crops AutoAugment changed, of 20").isGreaterThanOrEqualTo(10);
    }
}
