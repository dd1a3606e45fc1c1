package org.repvgg4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Map;

/** A convolution without bias followed by batch normalisation: one branch of a train-form block. */
public final class ConvBn extends AbstractBlock {

    /** PyTorch's BatchNorm2d epsilon, which the official weights were trained with. */
    public static final float BN_EPSILON = 1e-5f;

    /** DJL's momentum keeps this much of the running statistics (PyTorch's momentum 0.1). */
    public static final float BN_MOMENTUM = 0.9f;

    private final Conv2d conv;
    private final BatchNorm bn;

    public ConvBn(int outChannels, int kernel, int stride, int groups) {
        conv = addChildBlock("conv", Conv2d.builder()
                .setKernelShape(new Shape(kernel, kernel))
                .optStride(new Shape(stride, stride))
                .optPadding(new Shape(kernel / 2, kernel / 2))
                .setFilters(outChannels)
                .optGroups(groups)
                .optBias(false)
                .build());
        bn = addChildBlock("bn", batchNorm());
    }

    /** A batch norm with PyTorch's defaults. */
    public static BatchNorm batchNorm() {
        return BatchNorm.builder().optEpsilon(BN_EPSILON).optMomentum(BN_MOMENTUM).build();
    }

    /** Adds the official keys of a batch norm ({@code weight, bias, running_mean, running_var}). */
    static void putBatchNorm(String prefix, BatchNorm bn, Map<String, Parameter> stateDict) {
        var p = bn.getParameters();
        stateDict.put(prefix + "weight", p.get("gamma"));
        stateDict.put(prefix + "bias", p.get("beta"));
        stateDict.put(prefix + "running_mean", p.get("runningMean"));
        stateDict.put(prefix + "running_var", p.get("runningVar"));
    }

    void putParameters(String prefix, Map<String, Parameter> stateDict) {
        stateDict.put(prefix + "conv.weight", conv.getParameters().get("weight"));
        putBatchNorm(prefix + "bn.", bn, stateDict);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList convolved = conv.forward(store, inputs, training);
        NDList normalised = bn.forward(store, convolved, training);
        convolved.close();
        return normalised;
    }

    /** This branch on a block input prepared by the network's {@link ConvolutionStrategy}. */
    NDList forward(ParameterStore store, ConvolutionStrategy.BranchInput input, boolean training) {
        Parameter kernel = conv.getParameters().get("weight");
        NDArray weight = store.getValue(kernel, kernel.getArray().getDevice(), training);
        NDList convolved = new NDList(input.convolve(weight));
        NDList normalised = bn.forward(store, convolved, training);
        convolved.close();
        return normalised;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return conv.getOutputShapes(inputShapes);
    }

    @Override
    protected void initializeChildBlocks(
            ai.djl.ndarray.NDManager manager, DataType dataType, Shape... inputShapes) {
        conv.initialize(manager, dataType, inputShapes);
        bn.initialize(manager, dataType, conv.getOutputShapes(inputShapes));
    }
}
