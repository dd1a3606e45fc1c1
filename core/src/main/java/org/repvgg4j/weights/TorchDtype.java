package org.repvgg4j.weights;

import java.nio.ByteBuffer;

/** The element types of PyTorch tensors, by the storage class names {@code torch.save} pickles and by safetensors names. */
enum TorchDtype {
    FLOAT32("FloatStorage", "F32", 4, true),
    FLOAT16("HalfStorage", "F16", 2, true),
    BFLOAT16("BFloat16Storage", "BF16", 2, true),
    FLOAT64("DoubleStorage", "F64", 8, true),
    INT64("LongStorage", "I64", 8, false),
    INT32("IntStorage", "I32", 4, false),
    INT16("ShortStorage", "I16", 2, false),
    INT8("CharStorage", "I8", 1, false),
    UINT8("ByteStorage", "U8", 1, false),
    BOOL("BoolStorage", "BOOL", 1, false);

    private final String storageClass;
    private final String safetensorsName;
    private final int size;
    private final boolean floating;

    TorchDtype(String storageClass, String safetensorsName, int size, boolean floating) {
        this.storageClass = storageClass;
        this.safetensorsName = safetensorsName;
        this.size = size;
        this.floating = floating;
    }

    /** The dtype a safetensors header calls {@code name} ({@code F32}, {@code BF16}, ...), or null. */
    static TorchDtype ofSafetensors(String name) {
        for (TorchDtype t : values()) {
            if (t.safetensorsName.equals(name)) {
                return t;
            }
        }
        return null;
    }

    /** The dtype of {@code torch.<name>}, or null if it is not a storage class we know. */
    static TorchDtype ofStorageClass(String name) {
        for (TorchDtype t : values()) {
            if (t.storageClass.equals(name)) {
                return t;
            }
        }
        return null;
    }

    int size() {
        return size;
    }

    boolean isFloating() {
        return floating;
    }

    /** Element {@code index} of a little-endian storage, as float32 (wider types are rounded). */
    float floatAt(ByteBuffer b, long index) {
        int at = Math.toIntExact(index * size);
        return switch (this) {
            case FLOAT32 -> b.getFloat(at);
            case FLOAT16 -> halfToFloat(b.getShort(at));
            // bfloat16 is the upper half of a float32.
            case BFLOAT16 -> Float.intBitsToFloat((b.getShort(at) & 0xffff) << 16);
            case FLOAT64 -> (float) b.getDouble(at);
            default -> longAt(b, index);
        };
    }

    /** Element {@code index} as an integer (integer and bool storages). */
    long longAt(ByteBuffer b, long index) {
        int at = Math.toIntExact(index * size);
        return switch (this) {
            case INT64 -> b.getLong(at);
            case INT32 -> b.getInt(at);
            case INT16 -> b.getShort(at);
            case INT8 -> b.get(at);
            case UINT8, BOOL -> b.get(at) & 0xff;
            default -> (long) floatAt(b, index);
        };
    }

    /** IEEE 754 half precision to float (Java 17 has no Float.float16ToFloat). */
    static float halfToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            // zero or subnormal: mantissa * 2^-24, exact in float32
            float value = mantissa * 0x1p-24f;
            return sign == 0 ? value : -value;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }
}
