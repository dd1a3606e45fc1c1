package org.repvgg4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Map;

/**
 * Squeeze-and-excitation as RepVGG-D2se uses it: global average pool, 1x1 conv down with bias,
 * ReLU, 1x1 conv up with bias, sigmoid, and the input scaled channel by channel.
 */
public final class SqueezeExcite extends AbstractBlock {

    private final Conv2d down;
    private final Conv2d up;

    public SqueezeExcite(int channels, int hiddenChannels) {
        down = addChildBlock("down", pointwise(hiddenChannels));
        up = addChildBlock("up", pointwise(channels));
        TorchDefaultInit.bias(down.getParameters().get("bias"), channels);
        TorchDefaultInit.bias(up.getParameters().get("bias"), hiddenChannels);
    }

    private static Conv2d pointwise(int filters) {
        return Conv2d.builder().setKernelShape(new Shape(1, 1)).setFilters(filters).optBias(true).build();
    }

    void putParameters(String prefix, Map<String, Parameter> stateDict) {
        stateDict.put(prefix + "down.weight", down.getParameters().get("weight"));
        stateDict.put(prefix + "down.bias", down.getParameters().get("bias"));
        stateDict.put(prefix + "up.weight", up.getParameters().get("weight"));
        stateDict.put(prefix + "up.bias", up.getParameters().get("bias"));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        Shape shape = x.getShape();
        NDArray pooled = Pool.globalAvgPool2d(x);
        NDArray squeezed = pooled.reshape(shape.get(0), shape.get(1), 1, 1);
        NDArray reduced = down.forward(store, new NDList(squeezed), training).singletonOrThrow();
        NDArray hidden = Activation.relu(reduced);
        NDArray expanded = up.forward(store, new NDList(hidden), training).singletonOrThrow();
        NDArray gate = Activation.sigmoid(expanded);
        NDArray out = x.mul(gate);
        for (NDArray consumed : new NDArray[] {pooled, squeezed, reduced, hidden, expanded, gate}) {
            consumed.close();
        }
        return new NDList(out);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape pooled = new Shape(inputShapes[0].get(0), inputShapes[0].get(1), 1, 1);
        down.initialize(manager, dataType, pooled);
        up.initialize(manager, dataType, down.getOutputShapes(new Shape[] {pooled}));
    }
}
