package org.repvgg4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;

/**
 * The practical ceiling: a large square fp32 matrix multiply on DJL's PyTorch engine at the
 * current thread count. A convolution network's convolutions are matrix multiplies plus data
 * movement, so few of them should run faster than a big, cache-friendly GEMM does.
 */
public final class MatMulCeiling {

    private MatMulCeiling() {}

    /** Median GFLOP/s (2n^3 operations per product) of {@code iterations} timed n x n products after {@code warmup}. */
    public static Measurement run(int n, int warmup, int iterations, NDManager manager) {
        if (n < 1) {
            throw new IllegalArgumentException("matrix size must be positive, got " + n);
        }
        List<Double> millis = new ArrayList<>(iterations);
        try (NDManager scope = manager.newSubManager()) {
            NDArray a = scope.randomUniform(-1, 1, new Shape(n, n));
            NDArray b = scope.randomUniform(-1, 1, new Shape(n, n));
            for (int i = 0; i < warmup + iterations; i++) {
                long start = System.nanoTime();
                NDArray c = a.matMul(b);
                // One element back to Java forces the product to exist before the clock stops.
                c.getFloat(0, 0);
                long elapsed = System.nanoTime() - start;
                c.close();
                if (i >= warmup) {
                    millis.add(elapsed / 1e6);
                }
            }
        }
        // As a Measurement: one "image" is the whole product, n^3 multiply-adds.
        return new Measurement("matmul " + n + "x" + n, "fp32", ForwardBench.ENGINE, 1, JniUtils.getNumThreads(), n,
                0, (long) n * n * n, millis);
    }
}
