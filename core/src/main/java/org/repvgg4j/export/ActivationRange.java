package org.repvgg4j.export;

/**
 * The range of values one activation tensor is quantized over, and the uint8 affine parameters that
 * follow from it. The range always includes 0 so that 0 (ReLU's floor, and the zero padding of the
 * next convolution) is exactly representable.
 */
public record ActivationRange(String tensor, float min, float max) {

    public ActivationRange {
        if (!(min <= max) || Float.isInfinite(min) || Float.isInfinite(max)) {
            throw new IllegalArgumentException("tensor '" + tensor + "': bad range [" + min + ", " + max + "]");
        }
    }

    /** Real value of one uint8 step. A tensor that was always 0 (a dead layer) gets an arbitrary positive step. */
    public float scale() {
        float span = Math.max(max, 0f) - Math.min(min, 0f);
        return span > 0 ? span / 255f : 1f / 255f;
    }

    /** The uint8 value that stands for 0: 0 for a non-negative tensor such as a ReLU output. */
    public int zeroPoint() {
        int zp = Math.round(-Math.min(min, 0f) / scale());
        return Math.max(0, Math.min(255, zp));
    }
}
