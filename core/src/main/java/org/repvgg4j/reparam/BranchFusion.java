package org.repvgg4j.reparam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The arithmetic of structural re-parameterization (Ding et al., 2021, section 3.3), with no I/O:
 * fold a batch norm into the convolution before it, pad a 1x1 kernel to 3x3, write the identity as
 * a 3x3 kernel, and add branches. Kernels are {@code [out, in / groups, k, k]}.
 */
public final class BranchFusion {

    private BranchFusion() {}

    /** A convolution kernel and the bias that goes with it. */
    public record KernelBias(NDArray kernel, NDArray bias) {

        /** Branches run on the same input and are summed, so their kernels and biases add. */
        public KernelBias plus(KernelBias other) {
            return new KernelBias(kernel.add(other.kernel), bias.add(other.bias));
        }
    }

    /** A batch norm in inference mode: {@code gamma * (x - mean) / sqrt(var + eps) + beta}. */
    public record BatchNormParams(NDArray gamma, NDArray beta, NDArray mean, NDArray var, double eps) {}

    /**
     * BN(conv(x, W)) = conv(x, W * t) + (beta - mean * t) with {@code t = gamma / sqrt(var + eps)},
     * one {@code t} per output channel.
     */
    public static KernelBias fuse(NDArray kernel, BatchNormParams bn) {
        NDArray t = bn.gamma().div(bn.var().add(bn.eps()).sqrt());
        long out = kernel.getShape().get(0);
        NDArray fusedKernel = kernel.mul(t.reshape(out, 1, 1, 1));
        NDArray fusedBias = bn.beta().sub(bn.mean().mul(t));
        return new KernelBias(fusedKernel, fusedBias);
    }

    /** A 1x1 kernel is the centre of a 3x3 kernel whose other taps are zero (padding 1 keeps the grid aligned). */
    public static NDArray padToThreeByThree(NDArray kernel1x1) {
        return kernel1x1.pad(new Shape(1, 1, 1, 1), 0);
    }

    /**
     * The identity as a 3x3 convolution with {@code groups} groups: output channel {@code o}
     * copies input channel {@code o}, which is channel {@code o mod (channels / groups)} of its group.
     */
    public static NDArray identityKernel(NDManager manager, int channels, int groups, DataType dataType) {
        int perGroup = channels / groups;
        float[] kernel = new float[channels * perGroup * 9];
        for (int o = 0; o < channels; o++) {
            int i = o % perGroup;
            kernel[((o * perGroup + i) * 3 + 1) * 3 + 1] = 1f;
        }
        return manager.create(kernel, new Shape(channels, perGroup, 3, 3)).toType(dataType, false);
    }
}
