package org.repvgg4j.data;

import com.twelvemonkeys.imageio.stream.ByteArrayImageInputStream;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Reads an image file into 8-bit RGB, the way PIL's {@code convert('RGB')} does for the files the
 * Python references read: grayscale is copied to all three channels, palettes are looked up, alpha
 * is dropped, CMYK JPEGs are converted (TwelveMonkeys' JPEG reader). Safe to call from many threads.
 */
public final class ImageDecoder {

    static {
        // Registers the TwelveMonkeys readers (CMYK JPEG, WebP) found on the class path.
        ImageIO.scanForPlugins();
        ImageIO.setUseCache(false);
    }

    /** Reader warnings that mean missing or corrupt data (libjpeg's wording), not mere colour advice. */
    private static final java.util.regex.Pattern DAMAGE = java.util.regex.Pattern.compile(
            "(?i)premature end|corrupt|truncat|unexpected end|bad huffman|invalid");

    /** Images above this many pixels are refused before their pixels are read (a 100 MP photo still passes). */
    public static final long DEFAULT_MAX_PIXELS = 100_000_000L;

    /**
     * The system property that changes the limit for a whole process ({@code --max-pixels} sets it): one
     * place for every reader of images (predict, eval, batch, training, Spark executors).
     */
    public static final String MAX_PIXELS_PROPERTY = "repvgg.maxPixels";

    private ImageDecoder() {}

    /** The pixel limit in force: {@value #MAX_PIXELS_PROPERTY} if set, else {@link #DEFAULT_MAX_PIXELS}. */
    public static long maxPixels() {
        return Long.getLong(MAX_PIXELS_PROPERTY, DEFAULT_MAX_PIXELS);
    }

    /** Decodes {@code file}; an {@link IOException} naming the file if it is missing, empty or not a readable image. */
    public static RgbImage read(Path file) throws IOException {
        return read(file, maxPixels());
    }

    /**
     * As {@link #read(Path)}, refusing an image of more than {@code maxPixels} pixels from its header,
     * before any pixel is decoded: an {@link IOException} naming the file and its size.
     */
    public static RgbImage read(Path file, long maxPixels) throws IOException {
        InputStream opened;
        try {
            opened = Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "image not found");
        } catch (IOException e) {
            throw new IOException(file + ": cannot decode image (" + e.getMessage() + ")", e);
        }
        BufferedImage image;
        try (InputStream in = opened) {
            image = decode(in, file.toString(), maxPixels);
        }
        if (image == null) {
            throw new IOException(file + (Files.size(file) == 0 ? ": empty file" : ": not a readable image"));
        }
        return toRgb(image);
    }

    /**
     * Decodes an image file's bytes that were read elsewhere (a Spark binary-file column, an archive);
     * {@code name} is the file's name in error messages. Same checks as {@link #read(Path)}.
     */
    public static RgbImage read(byte[] bytes, String name) throws IOException {
        return read(bytes, name, maxPixels());
    }

    /**
     * As {@link #read(byte[], String)}, with the pixel limit given: {@link TooLarge} for an image above
     * it, from the header alone, and {@link NotAnImage} for bytes no reader recognises. The bytes are
     * read where they lie, without the stream cache {@code ImageIO} puts over an {@code InputStream}.
     */
    public static RgbImage read(byte[] bytes, String name, long maxPixels) throws IOException {
        if (bytes.length == 0) {
            throw new NotAnImage(name + ": empty file");
        }
        BufferedImage image = decode(new ByteArrayImageInputStream(bytes), name, maxPixels);
        if (image == null) {
            throw new NotAnImage(name + ": not a readable image");
        }
        return toRgb(image);
    }

    /** The decoded image, or null when no reader recognises the bytes; damage is an IOException naming {@code name}. */
    private static BufferedImage decode(InputStream in, String name, long maxPixels) throws IOException {
        ImageInputStream stream;
        try {
            stream = ImageIO.createImageInputStream(in);
        } catch (IOException | RuntimeException e) {
            throw new IOException(name + ": cannot decode image (" + e.getMessage() + ")", e);
        }
        return stream == null ? null : decode(stream, name, maxPixels);
    }

    private static BufferedImage decode(ImageInputStream input, String name, long maxPixels) throws IOException {
        BufferedImage image = null;
        List<String> warnings = new ArrayList<>();
        try (ImageInputStream stream = input) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(stream);
            if (readers.hasNext()) {
                ImageReader reader = readers.next();
                try {
                    // A truncated JPEG decodes "successfully" with the missing part filled in; the
                    // reader only says so through a warning, which we treat as the error it is.
                    reader.addIIOReadWarningListener((source, warning) -> {
                        if (DAMAGE.matcher(warning).find()) {
                            warnings.add(warning);
                        }
                    });
                    reader.setInput(stream, true, true);
                    checkSize(reader.getWidth(0), reader.getHeight(0), name, maxPixels);
                    image = reader.read(0);
                } finally {
                    reader.dispose();
                }
            }
        } catch (TooLarge e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new IOException(name + ": cannot decode image (" + e.getMessage() + ")", e);
        }
        if (!warnings.isEmpty()) {
            throw new IOException(name + ": damaged image (" + warnings.get(0) + ")");
        }
        return image;
    }

    /** An image refused for its size; its message names the file, its size and the limit. */
    public static final class TooLarge extends IOException {
        private final long pixels;

        TooLarge(String message, long pixels) {
            super(message);
            this.pixels = pixels;
        }

        /** The pixels its header claims. */
        public long pixels() {
            return pixels;
        }
    }

    /** Bytes that no image reader recognises, or none at all; its message names the file. */
    public static final class NotAnImage extends IOException {
        NotAnImage(String message) {
            super(message);
        }
    }

    private static void checkSize(int width, int height, String name, long maxPixels) throws TooLarge {
        long pixels = (long) width * height;
        if (pixels > maxPixels) {
            throw new TooLarge(String.format(java.util.Locale.ROOT, "%s: %dx%d is %.1f megapixels, above the limit of "
                    + "%.1f; skipped (raise it with --max-pixels, or shrink the image)", name, width, height,
                    pixels / 1e6, maxPixels / 1e6), pixels);
        }
        if (pixels * 3 > Integer.MAX_VALUE - 8) {
            throw new TooLarge(name + ": " + width + "x" + height + " is too large to hold in memory as one image", pixels);
        }
    }

    /**
     * The common case of a decoded JPEG (sRGB, three interleaved bytes per pixel) copied straight from
     * the raster's bytes: the same values {@code getRGB} gives, without its per-pixel colour-model call,
     * which cost more than the decoding itself in batch inference. False when the layout is anything else.
     */
    private static boolean copyInterleavedBytes(BufferedImage image, byte[] rgb) {
        if (image.getType() != BufferedImage.TYPE_3BYTE_BGR
                || !(image.getRaster().getDataBuffer() instanceof java.awt.image.DataBufferByte buffer)
                || !(image.getRaster().getSampleModel() instanceof java.awt.image.PixelInterleavedSampleModel model)
                || image.getRaster().getParent() != null || buffer.getNumBanks() != 1
                || model.getNumBands() != 3 || model.getPixelStride() != 3) {
            return false;
        }
        byte[] data = buffer.getData();
        int[] offsets = model.getBandOffsets();
        int stride = model.getScanlineStride();
        int base = buffer.getOffset();
        int w = image.getWidth();
        int h = image.getHeight();
        int r = offsets[0];
        int g = offsets[1];
        int b = offsets[2];
        for (int y = 0; y < h; y++) {
            int from = base + y * stride;
            int to = y * w * 3;
            for (int x = 0; x < w; x++, from += 3, to += 3) {
                rgb[to] = data[from + r];
                rgb[to + 1] = data[from + g];
                rgb[to + 2] = data[from + b];
            }
        }
        return true;
    }

    /** RGB pixels of a decoded image. */
    public static RgbImage toRgb(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        if ((long) w * h * 3 > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(w + "x" + h + " is too large to hold in memory as one image");
        }
        byte[] rgb = new byte[w * h * 3];
        Raster raster = image.getRaster();
        int bands = raster.getNumBands();
        boolean gray = image.getColorModel().getColorSpace().getType() == java.awt.color.ColorSpace.TYPE_GRAY
                && (bands == 1 || bands == 2) && image.getType() != BufferedImage.TYPE_BYTE_BINARY
                && !(image.getColorModel() instanceof java.awt.image.IndexColorModel);
        if (gray) {
            // Copy gray levels as they are; getRGB would push them through a linear-to-sRGB curve.
            int bits = image.getColorModel().getComponentSize(0);
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int v = bits == 8 ? row[x] : (int) Math.round(row[x] * 255.0 / ((1 << bits) - 1));
                    int i = (y * w + x) * 3;
                    rgb[i] = rgb[i + 1] = rgb[i + 2] = (byte) v;
                }
            }
            return new RgbImage(w, h, rgb);
        }
        if (copyInterleavedBytes(image, rgb)) {
            return new RgbImage(w, h, rgb);
        }
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int p = row[x];
                int i = (y * w + x) * 3;
                rgb[i] = (byte) (p >> 16);
                rgb[i + 1] = (byte) (p >> 8);
                rgb[i + 2] = (byte) p;
            }
        }
        return new RgbImage(w, h, rgb);
    }
}
