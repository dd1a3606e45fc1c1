package org.repvgg4j.serve;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.repvgg4j.data.ImageDecoder;
import org.repvgg4j.data.RgbImage;

/** Encoded images from a request, decoded only after their header says they fit in memory. */
final class ImageBytes {

    static {
        // The TwelveMonkeys readers (WebP, CMYK JPEG) must be known before the header is read.
        ImageIO.scanForPlugins();
    }

    private ImageBytes() {}

    /**
     * Decodes {@code bytes} ({@code name} in messages) as {@code repvgg predict} decodes files. A few KB
     * of PNG can claim 100,000 x 100,000 pixels; the header's size is checked against {@code maxPixels}
     * before any pixel is decoded, so such a request costs nothing but its own bytes.
     */
    static RgbImage decode(byte[] bytes, String name, long maxPixels) {
        if (bytes.length == 0) {
            throw ApiError.badRequest(name + ": empty body; send the bytes of a JPEG, PNG, BMP, GIF or WebP image");
        }
        long pixels = headerPixels(bytes, name);
        if (pixels > maxPixels) {
            throw ApiError.badRequest(name + ": the image has " + pixels + " pixels; the server decodes at most "
                    + maxPixels + " (--max-pixels)");
        }
        try {
            return ImageDecoder.read(bytes, name);
        } catch (IOException | RuntimeException e) {
            throw ApiError.badRequest(e.getMessage() != null ? e.getMessage() : name + ": cannot decode image");
        }
    }

    private static long headerPixels(byte[] bytes, String name) {
        try (ImageInputStream stream = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = stream == null ? null : ImageIO.getImageReaders(stream);
            if (readers == null || !readers.hasNext()) {
                throw ApiError.badRequest(name + ": not an image (" + bytes.length
                        + " bytes no reader recognises); send JPEG, PNG, BMP, GIF or WebP");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(stream, true, true);
                return (long) reader.getWidth(0) * reader.getHeight(0);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof ApiError api) {
                throw api;
            }
            throw ApiError.badRequest(name + ": unreadable image header (" + e.getMessage() + ")");
        }
    }
}
