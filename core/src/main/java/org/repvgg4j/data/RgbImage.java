package org.repvgg4j.data;

/** An 8-bit RGB image, row-major, three bytes per pixel (R, G, B). */
public record RgbImage(int width, int height, byte[] pixels) {

    public RgbImage {
        if (width < 1 || height < 1 || pixels.length != width * height * 3) {
            throw new IllegalArgumentException("bad image geometry " + width + "x" + height + " for "
                    + pixels.length + " bytes");
        }
    }

    /** Channel {@code c} (0 = R) at column {@code x}, row {@code y}, as 0..255. */
    public int get(int x, int y, int c) {
        return pixels[(y * width + x) * 3 + c] & 0xFF;
    }
}
