package org.repvgg4j.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * An n-dimensional array as a {@code .npy} file holds it: a dtype, a shape and the values in
 * C order, little-endian.
 */
public record NpyArray(Npy.DType dtype, long[] shape, ByteBuffer data) {

    public NpyArray {
        shape = shape.clone();
        data = data.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        long expected = Npy.elementCount(shape) * dtype.size();
        if (data.remaining() != expected) {
            throw new IllegalArgumentException("shape " + Npy.shapeText(shape) + " " + dtype.id() + " needs "
                    + expected + " bytes, got " + data.remaining());
        }
    }

    public static NpyArray ofFloats(long[] shape, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return new NpyArray(Npy.DType.FLOAT32, shape, b);
    }

    public static NpyArray ofDoubles(long[] shape, double[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asDoubleBuffer().put(values);
        return new NpyArray(Npy.DType.FLOAT64, shape, b);
    }

    public static NpyArray ofLongs(long[] shape, long[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return new NpyArray(Npy.DType.INT64, shape, b);
    }

    /** A copy of a float32 or float64 NDArray's values (int64 arrays keep their type). */
    public static NpyArray of(NDArray array) {
        long[] shape = array.getShape().getShape();
        return switch (array.getDataType()) {
            case FLOAT64 -> ofDoubles(shape, array.toDoubleArray());
            case INT64 -> ofLongs(shape, array.toLongArray());
            case FLOAT32 -> ofFloats(shape, array.toFloatArray());
            default -> ofFloats(shape, array.toType(DataType.FLOAT32, false).toFloatArray());
        };
    }

    public long size() {
        return Npy.elementCount(shape);
    }

    public int rank() {
        return shape.length;
    }

    /** The values as float32 (float64 narrowed, int64 converted). */
    public float[] toFloats() {
        float[] out = new float[Math.toIntExact(size())];
        ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case FLOAT32 -> b.asFloatBuffer().get(out);
            case FLOAT64 -> {
                var d = b.asDoubleBuffer();
                for (int i = 0; i < out.length; i++) {
                    out[i] = (float) d.get(i);
                }
            }
            case INT64 -> {
                var l = b.asLongBuffer();
                for (int i = 0; i < out.length; i++) {
                    out[i] = l.get(i);
                }
            }
        }
        return out;
    }

    public double[] toDoubles() {
        double[] out = new double[Math.toIntExact(size())];
        ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case FLOAT32 -> {
                var f = b.asFloatBuffer();
                for (int i = 0; i < out.length; i++) {
                    out[i] = f.get(i);
                }
            }
            case FLOAT64 -> b.asDoubleBuffer().get(out);
            case INT64 -> {
                var l = b.asLongBuffer();
                for (int i = 0; i < out.length; i++) {
                    out[i] = l.get(i);
                }
            }
        }
        return out;
    }

    public long[] toLongs() {
        if (dtype != Npy.DType.INT64) {
            throw new IllegalStateException("a " + dtype.id() + " array has no exact int64 values");
        }
        long[] out = new long[Math.toIntExact(size())];
        data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
        return out;
    }

    /** A float32 NDArray of the same shape on {@code manager}. */
    public NDArray toFloat32(NDManager manager) {
        return manager.create(toFloats(), new Shape(shape));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NpyArray other && dtype == other.dtype && Arrays.equals(shape, other.shape)
                && data.equals(other.data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + data.hashCode();
    }

    @Override
    public String toString() {
        return "NpyArray[" + dtype.id() + " " + Npy.shapeText(shape) + "]";
    }
}
