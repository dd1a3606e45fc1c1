package org.repvgg4j.bench.baselines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * SqueezeNet's fire module as torchvision defines it: a 1x1 "squeeze" convolution + ReLU, then a
 * 1x1 and a 3x3 "expand" convolution (each + ReLU) side by side, concatenated along channels.
 */
final class Fire extends AbstractBlock {

    private final int squeezeChannels;
    private final int expand1x1Channels;
    private final int expand3x3Channels;
    private final Conv2d squeeze;
    private final Conv2d expand1x1;
    private final Conv2d expand3x3;

    Fire(int squeezeChannels, int expand1x1Channels, int expand3x3Channels) {
        this.squeezeChannels = squeezeChannels;
        this.expand1x1Channels = expand1x1Channels;
        this.expand3x3Channels = expand3x3Channels;
        squeeze = addChildBlock("squeeze", conv(squeezeChannels, 1));
        expand1x1 = addChildBlock("expand1x1", conv(expand1x1Channels, 1));
        expand3x3 = addChildBlock("expand3x3", conv(expand3x3Channels, 3));
    }

    private static Conv2d conv(int filters, int kernel) {
        return Conv2d.builder()
                .setKernelShape(new Shape(kernel, kernel))
                .optPadding(new Shape(kernel / 2, kernel / 2))
                .setFilters(filters)
                .build();
    }

    int outChannels() {
        return expand1x1Channels + expand3x3Channels;
    }

    /** Multiply-adds of this module on an {@code inChannels} x {@code size} x {@code size} input. */
    long macs(int inChannels, int size) {
        return ConvArithmetic.convMacs(inChannels, squeezeChannels, 1, size)
                + ConvArithmetic.convMacs(squeezeChannels, expand1x1Channels, 1, size)
                + ConvArithmetic.convMacs(squeezeChannels, expand3x3Channels, 3, size);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray squeezed = relu(squeeze.forward(store, inputs, training));
        NDList s = new NDList(squeezed);
        NDArray a = relu(expand1x1.forward(store, s, training));
        NDArray b = relu(expand3x3.forward(store, s, training));
        squeezed.close();
        NDArray out = a.concat(b, 1);
        a.close();
        b.close();
        return new NDList(out);
    }

    /** ReLU of a layer's output, closing the pre-activation right away (it is not needed again). */
    static NDArray relu(NDList layerOutput) {
        NDArray x = layerOutput.singletonOrThrow();
        NDArray y = Activation.relu(x);
        x.close();
        return y;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        return new Shape[] {new Shape(in.get(0), outChannels(), in.get(2), in.get(3))};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        squeeze.initialize(manager, dataType, inputShapes);
        Shape[] squeezed = squeeze.getOutputShapes(inputShapes);
        expand1x1.initialize(manager, dataType, squeezed);
        expand3x3.initialize(manager, dataType, squeezed);
    }
}
