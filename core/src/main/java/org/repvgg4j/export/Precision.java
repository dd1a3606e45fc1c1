package org.repvgg4j.export;

import java.util.Locale;

/**
 * The number format a deploy network is exported in. fp32 goes to ONNX or TorchScript; int8
 * ({@link Int8Exporter}) to ONNX, where ONNX Runtime has int8 kernels; bf16
 * ({@link TorchScriptExporter}) to TorchScript, where libtorch runs bfloat16 convolutions through
 * oneDNN, on AVX512-BF16 or AMX where the processor has them.
 */
public enum Precision {
    FP32,
    BF16,
    INT8;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code fp32}, {@code bf16} or {@code int8} (any case). */
    public static Precision parse(String text) {
        for (Precision p : values()) {
            if (p.id().equalsIgnoreCase(text.strip())) {
                return p;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not one of fp32, bf16, int8");
    }

    /**
     * Rounds {@code value} to bfloat16 (the upper 16 bits of a float32), to nearest with ties to
     * even, as PyTorch's {@code Tensor.to(torch.bfloat16)} does; NaN stays NaN.
     */
    public static short toBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x40); // quiet NaN, sign kept
        }
        int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }
}
