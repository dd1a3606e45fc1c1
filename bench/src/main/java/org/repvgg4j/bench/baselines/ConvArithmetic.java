package org.repvgg4j.bench.baselines;

/**
 * Output sizes and multiply-adds of square convolutions and pools, the way PyTorch computes them,
 * so a baseline's cost per image can be derived from its layer list without running it.
 */
final class ConvArithmetic {

    private ConvArithmetic() {}

    /** Spatial size after a convolution or pool (floor division, as in PyTorch's default). */
    static int outputSize(int inputSize, int kernel, int stride, int padding) {
        return (inputSize + 2 * padding - kernel) / stride + 1;
    }

    /**
     * Spatial size after a max pool with {@code ceil_mode=True}: PyTorch rounds up, but drops a
     * last window that would start inside the right padding.
     */
    static int ceilOutputSize(int inputSize, int kernel, int stride, int padding) {
        int size = Math.floorDiv(inputSize + 2 * padding - kernel + stride - 1, stride) + 1;
        if ((size - 1) * stride >= inputSize + padding) {
            size--;
        }
        return size;
    }

    /** Multiply-adds of a dense convolution producing an {@code outputSize} x {@code outputSize} map. */
    static long convMacs(int inChannels, int outChannels, int kernel, int outputSize) {
        return (long) outputSize * outputSize * inChannels * outChannels * kernel * kernel;
    }
}
