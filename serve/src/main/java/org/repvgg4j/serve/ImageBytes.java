package org.repvgg4j.serve;

import java.io.IOException;
import org.repvgg4j.data.ImageDecoder;
import org.repvgg4j.data.RgbImage;

/** Encoded images from a request, decoded only after their header says they fit in memory. */
final class ImageBytes {

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
        try {
            return ImageDecoder.read(bytes, name, maxPixels);
        } catch (ImageDecoder.TooLarge e) {
            throw ApiError.badRequest(name + ": the image has " + e.pixels() + " pixels; the server decodes at most "
                    + maxPixels + " (--max-pixels)");
        } catch (ImageDecoder.NotAnImage e) {
            throw ApiError.badRequest(name + ": not an image (" + bytes.length
                    + " bytes no reader recognises); send JPEG, PNG, BMP, GIF or WebP");
        } catch (IOException | RuntimeException e) {
            throw ApiError.badRequest(e.getMessage() != null ? e.getMessage() : name + ": cannot decode image");
        }
    }
}
