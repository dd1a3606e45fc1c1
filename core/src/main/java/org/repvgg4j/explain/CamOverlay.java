package org.repvgg4j.explain;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.repvgg4j.data.ImageTransform;
import org.repvgg4j.data.Resampler;
import org.repvgg4j.data.RgbImage;
import org.repvgg4j.weights.Preprocessing;

/**
 * Draws a class activation map over the part of the image the network saw (the evaluation crop),
 * in the usual jet colours (blue low, red high) at half opacity.
 */
public final class CamOverlay {

    /** Smallest side drawn, so that maps of small inputs (28 px, 48 px) are still visible. */
    public static final int MIN_SIDE = 224;

    private CamOverlay() {
    }

    /** The overlay, {@code side x side} pixels: the crop {@code box} of {@code image} under {@code map}. */
    public static BufferedImage render(RgbImage image, ImageTransform.Box box, GradCam.ClassMap map, int side) {
        float[] rgb = Resampler.cropResize(image, box.x(), box.y(), box.width(), box.height(), side, side);
        double[] heat = upsample(map, side);
        double max = 0;
        for (double v : heat) {
            max = Math.max(max, v);
        }
        BufferedImage out = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                int i = y * side + x;
                double[] colour = jet(max > 0 ? heat[i] / max : 0);
                int packed = 0;
                for (int c = 0; c < 3; c++) {
                    double v = 0.5 * rgb[i * 3 + c] + 0.5 * 255 * colour[c];
                    packed = (packed << 8) | (int) Math.round(Math.max(0, Math.min(255, v)));
                }
                out.setRGB(x, y, packed);
            }
        }
        return out;
    }

    /**
     * Writes the overlay of {@code map} on the part of {@code image} that {@code preprocessing}'s
     * evaluation crop shows the network, {@code side x side} pixels, as a PNG.
     */
    public static void writePng(Path png, RgbImage image, Preprocessing preprocessing, GradCam.ClassMap map, int side)
            throws IOException {
        BufferedImage picture = render(image, ImageTransform.evalBox(preprocessing, image.width(), image.height()), map,
                side);
        if (!ImageIO.write(picture, "png", png.toFile())) {
            throw new IOException(png + ": no PNG writer");
        }
    }

    /**
     * The map resized to {@code side x side} bilinearly, sampling at pixel centres and clamping at
     * the edges (PyTorch's {@code interpolate(..., align_corners=False)}).
     */
    static double[] upsample(GradCam.ClassMap map, int side) {
        double[] out = new double[side * side];
        for (int y = 0; y < side; y++) {
            double sy = clamp((y + 0.5) * map.height() / side - 0.5, map.height() - 1);
            int y0 = (int) sy;
            int y1 = Math.min(y0 + 1, map.height() - 1);
            double fy = sy - y0;
            for (int x = 0; x < side; x++) {
                double sx = clamp((x + 0.5) * map.width() / side - 0.5, map.width() - 1);
                int x0 = (int) sx;
                int x1 = Math.min(x0 + 1, map.width() - 1);
                double fx = sx - x0;
                double top = map.at(y0, x0) * (1 - fx) + map.at(y0, x1) * fx;
                double bottom = map.at(y1, x0) * (1 - fx) + map.at(y1, x1) * fx;
                out[y * side + x] = top * (1 - fy) + bottom * fy;
            }
        }
        return out;
    }

    private static double clamp(double v, int max) {
        return Math.max(0, Math.min(max, v));
    }

    /** The jet colour map: dark blue at 0, through cyan, yellow, to dark red at 1; RGB in [0, 1]. */
    static double[] jet(double v) {
        double t = Math.max(0, Math.min(1, v));
        return new double[] {band(t, 3), band(t, 2), band(t, 1)};
    }

    /** One channel of jet: a trapezoid centred on {@code centre / 4}, full within 1/8 of it, zero 3/8 away. */
    private static double band(double t, int centre) {
        return Math.max(0, Math.min(1, 1.5 - Math.abs(4 * t - centre)));
    }
}
