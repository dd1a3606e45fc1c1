package org.repvgg4j.bench.baselines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/**
 * SqueezeNet 1.1 (Iandola et al. 2016), layer for layer as torchvision's {@code squeezenet1_1}:
 * a 3x3/2 stem convolution, eight fire modules with three ceil-mode max pools between them, and a
 * 1x1 convolution to the classes followed by ReLU and global average pooling (no linear layer).
 * 1,235,496 parameters at 1000 classes; the baseline the RepVGG write-up compares against.
 */
public final class SqueezeNet11 extends AbstractBlock {

    /** Where torchvision's {@code features} puts a ceil-mode 3x3/2 max pool (before fire modules 0, 2, 4). */
    private static final List<Integer> POOL_BEFORE_FIRE = List.of(0, 2, 4);

    private static final int[][] FIRES = {
        {16, 64, 64}, {16, 64, 64}, {32, 128, 128}, {32, 128, 128},
        {48, 192, 192}, {48, 192, 192}, {64, 256, 256}, {64, 256, 256},
    };

    private final int numClasses;
    private final Conv2d stem;
    private final List<Fire> fires = new ArrayList<>();
    private final Block dropout;
    private final Conv2d classifier;

    public SqueezeNet11(int numClasses) {
        this.numClasses = numClasses;
        stem = addChildBlock("features.0", Conv2d.builder()
                .setKernelShape(new Shape(3, 3)).optStride(new Shape(2, 2)).setFilters(64).build());
        int index = 3; // torchvision's features index of the first fire module
        for (int i = 0; i < FIRES.length; i++) {
            if (i > 0 && POOL_BEFORE_FIRE.contains(i)) {
                index++;
            }
            fires.add(addChildBlock("features." + index, new Fire(FIRES[i][0], FIRES[i][1], FIRES[i][2])));
            index++;
        }
        dropout = addChildBlock("classifier.0", Dropout.builder().optRate(0.5f).build());
        classifier = addChildBlock("classifier.1", Conv2d.builder()
                .setKernelShape(new Shape(1, 1)).setFilters(numClasses).build());
        // PyTorch's default conv initialisation (uniform in +-1/sqrt(fan_in)) keeps random logits at a sane scale.
        setInitializer(new XavierInitializer(XavierInitializer.RandomType.UNIFORM,
                XavierInitializer.FactorType.IN, 1), Parameter.Type.WEIGHT);
    }

    public int numClasses() {
        return numClasses;
    }

    /** Multiply-adds per image at this input size (convolutions only; pools and ReLU are not counted). */
    public static long macs(int inputSize, int numClasses) {
        int size = ConvArithmetic.outputSize(inputSize, 3, 2, 0);
        long macs = ConvArithmetic.convMacs(3, 64, 3, size);
        int channels = 64;
        for (int i = 0; i < FIRES.length; i++) {
            if (POOL_BEFORE_FIRE.contains(i)) {
                size = ConvArithmetic.ceilOutputSize(size, 3, 2, 0);
            }
            Fire fire = new Fire(FIRES[i][0], FIRES[i][1], FIRES[i][2]);
            macs += fire.macs(channels, size);
            channels = fire.outChannels();
        }
        return macs + ConvArithmetic.convMacs(channels, numClasses, 1, size);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = Fire.relu(stem.forward(store, inputs, training));
        for (int i = 0; i < fires.size(); i++) {
            if (POOL_BEFORE_FIRE.contains(i)) {
                NDArray pooled = maxPool(x);
                x.close();
                x = pooled;
            }
            NDArray y = fires.get(i).forward(store, new NDList(x), training).singletonOrThrow();
            x.close();
            x = y;
        }
        if (training) {
            NDArray dropped = dropout.forward(store, new NDList(x), true).singletonOrThrow();
            x.close();
            x = dropped;
        }
        NDArray scores = Fire.relu(classifier.forward(store, new NDList(x), training));
        x.close();
        NDArray pooled = Pool.globalAvgPool2d(scores);
        scores.close();
        return new NDList(pooled);
    }

    private static NDArray maxPool(NDArray x) {
        return Pool.maxPool2d(x, new Shape(3, 3), new Shape(2, 2), new Shape(0, 0), true);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), numClasses)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        stem.initialize(manager, dataType, inputShapes);
        Shape s = stem.getOutputShapes(inputShapes)[0];
        for (int i = 0; i < fires.size(); i++) {
            if (POOL_BEFORE_FIRE.contains(i)) {
                s = new Shape(s.get(0), s.get(1), pooledSize(s.get(2)), pooledSize(s.get(3)));
            }
            fires.get(i).initialize(manager, dataType, s);
            s = fires.get(i).getOutputShapes(new Shape[] {s})[0];
        }
        dropout.initialize(manager, dataType, s);
        classifier.initialize(manager, dataType, s);
    }

    private static long pooledSize(long size) {
        return ConvArithmetic.ceilOutputSize((int) size, 3, 2, 0);
    }
}
