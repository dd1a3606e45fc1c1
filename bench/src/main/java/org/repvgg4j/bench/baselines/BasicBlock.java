package org.repvgg4j.bench.baselines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.repvgg4j.model.ConvBn;

/**
 * ResNet's basic block as torchvision defines it: 3x3 conv + BN + ReLU, 3x3 conv + BN, plus the
 * input (through a 1x1 conv + BN "downsample" when the stride or width changes), then ReLU.
 */
final class BasicBlock extends AbstractBlock {

    private final int inChannels;
    private final int outChannels;
    private final int stride;
    private final ConvBn first;
    private final ConvBn second;
    private final ConvBn downsample;

    BasicBlock(int inChannels, int outChannels, int stride) {
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.stride = stride;
        first = addChildBlock("conv1", new ConvBn(outChannels, 3, stride, 1));
        second = addChildBlock("conv2", new ConvBn(outChannels, 3, 1, 1));
        downsample = stride != 1 || inChannels != outChannels
                ? addChildBlock("downsample", new ConvBn(outChannels, 1, stride, 1))
                : null;
    }

    /** Multiply-adds on an input of {@code inputSize} x {@code inputSize}; BN is not counted. */
    long macs(int inputSize) {
        int size = ConvArithmetic.outputSize(inputSize, 3, stride, 1);
        long macs = ConvArithmetic.convMacs(inChannels, outChannels, 3, size)
                + ConvArithmetic.convMacs(outChannels, outChannels, 3, size);
        return downsample == null ? macs : macs + ConvArithmetic.convMacs(inChannels, outChannels, 1, size);
    }

    int outputSize(int inputSize) {
        return ConvArithmetic.outputSize(inputSize, 3, stride, 1);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray h = Fire.relu(first.forward(store, inputs, training));
        NDArray main = second.forward(store, new NDList(h), training).singletonOrThrow();
        h.close();
        NDArray shortcut = downsample == null
                ? inputs.singletonOrThrow()
                : downsample.forward(store, inputs, training).singletonOrThrow();
        NDArray sum = main.add(shortcut);
        main.close();
        if (downsample != null) {
            shortcut.close();
        }
        NDArray out = Activation.relu(sum);
        sum.close();
        return new NDList(out);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return second.getOutputShapes(first.getOutputShapes(inputShapes));
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        first.initialize(manager, dataType, inputShapes);
        second.initialize(manager, dataType, first.getOutputShapes(inputShapes));
        if (downsample != null) {
            downsample.initialize(manager, dataType, inputShapes);
        }
    }
}
