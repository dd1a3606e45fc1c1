package org.repvgg4j.api;

import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.awt.image.BufferedImage;
import org.repvgg4j.data.ImageDecoder;
import org.repvgg4j.data.RgbImage;

/** The images callers hand us, as the 8-bit RGB pictures our transforms read. */
final class ImageInputs {

    private ImageInputs() {
    }

    /**
     * DJL's image as RGB. The desktop image factory wraps a {@link BufferedImage}, which we read as our
     * decoder does; other factories (OpenCV) give their pixels as an HWC uint8 array.
     */
    static RgbImage rgb(Image image) {
        if (image.getWrappedImage() instanceof BufferedImage buffered) {
            return ImageDecoder.toRgb(buffered);
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray hwc = image.toNDArray(manager, Image.Flag.COLOR).toType(DataType.UINT8, false);
            long[] shape = hwc.getShape().getShape();
            return new RgbImage((int) shape[1], (int) shape[0], hwc.toByteArray());
        }
    }
}
