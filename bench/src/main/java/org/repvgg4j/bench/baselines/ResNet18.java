package org.repvgg4j.bench.baselines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;
import org.repvgg4j.model.ConvBn;

/**
 * ResNet-18 (He et al. 2016), layer for layer as torchvision's {@code resnet18}: a 7x7/2 conv + BN
 * + ReLU stem, a 3x3/2 max pool, four stages of two basic blocks (64, 128, 256, 512 channels), global
 * average pooling and a linear head. 11,689,512 parameters at 1000 classes.
 */
public final class ResNet18 extends AbstractBlock {

    private static final int[] WIDTHS = {64, 128, 256, 512};

    private final int numClasses;
    private final ConvBn stem;
    private final List<BasicBlock> blocks = new ArrayList<>();
    private final Linear fc;

    public ResNet18(int numClasses) {
        this.numClasses = numClasses;
        stem = addChildBlock("conv1", new ConvBn(64, 7, 2, 1));
        int in = 64;
        for (int stage = 0; stage < WIDTHS.length; stage++) {
            for (int i = 0; i < 2; i++) {
                int stride = stage > 0 && i == 0 ? 2 : 1;
                String name = "layer" + (stage + 1) + "." + i;
                blocks.add(addChildBlock(name, new BasicBlock(in, WIDTHS[stage], stride)));
                in = WIDTHS[stage];
            }
        }
        fc = addChildBlock("fc", Linear.builder().setUnits(numClasses).build());
        // PyTorch's default for conv and linear weights (uniform in +-1/sqrt(fan_in)).
        setInitializer(new XavierInitializer(XavierInitializer.RandomType.UNIFORM,
                XavierInitializer.FactorType.IN, 1), Parameter.Type.WEIGHT);
    }

    public int numClasses() {
        return numClasses;
    }

    /** Multiply-adds per image at this input size: convolutions and the head (BN, pools, ReLU not counted). */
    public static long macs(int inputSize, int numClasses) {
        ResNet18 shape = new ResNet18(numClasses);
        int size = ConvArithmetic.outputSize(inputSize, 7, 2, 3);
        long macs = ConvArithmetic.convMacs(3, 64, 7, size);
        size = ConvArithmetic.outputSize(size, 3, 2, 1);
        for (BasicBlock block : shape.blocks) {
            macs += block.macs(size);
            size = block.outputSize(size);
        }
        return macs + (long) WIDTHS[WIDTHS.length - 1] * numClasses;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray stemmed = Fire.relu(stem.forward(store, inputs, training));
        NDArray x = maxPool(stemmed);
        stemmed.close();
        for (BasicBlock block : blocks) {
            NDArray y = block.forward(store, new NDList(x), training).singletonOrThrow();
            x.close();
            x = y;
        }
        NDArray pooled = Pool.globalAvgPool2d(x);
        x.close();
        NDList logits = fc.forward(store, new NDList(pooled), training);
        pooled.close();
        return logits;
    }

    private static NDArray maxPool(NDArray x) {
        return Pool.maxPool2d(x, new Shape(3, 3), new Shape(2, 2), new Shape(1, 1), false);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), numClasses)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        stem.initialize(manager, dataType, inputShapes);
        Shape s = stem.getOutputShapes(inputShapes)[0];
        s = new Shape(s.get(0), s.get(1), ConvArithmetic.outputSize((int) s.get(2), 3, 2, 1),
                ConvArithmetic.outputSize((int) s.get(3), 3, 2, 1));
        for (BasicBlock block : blocks) {
            block.initialize(manager, dataType, s);
            s = block.getOutputShapes(new Shape[] {s})[0];
        }
        fc.initialize(manager, dataType, new Shape(s.get(0), WIDTHS[WIDTHS.length - 1]));
    }
}
