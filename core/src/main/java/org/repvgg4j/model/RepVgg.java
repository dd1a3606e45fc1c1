package org.repvgg4j.model;

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
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A RepVGG network as a DJL block: stage 0, stages 1..4, global average pool and a linear head.
 * Input is NCHW float32 RGB; output is one logit per class.
 */
public final class RepVgg extends AbstractBlock {

    private final RepVggSpec spec;
    private final Form form;
    private final int numClasses;
    private final ConvolutionStrategy convolutions;
    private final List<RepVggBlock> blocks = new ArrayList<>();
    private final Linear linear;

    /** A network whose training runs every convolution plainly ({@link ConvolutionStrategy#PLAIN}). */
    public RepVgg(RepVggSpec spec, Form form, int numClasses) {
        this(spec, form, numClasses, ConvolutionStrategy.PLAIN);
    }

    /** A network whose train form computes its convolutions in training as {@code convolutions} says. */
    public RepVgg(RepVggSpec spec, Form form, int numClasses, ConvolutionStrategy convolutions) {
        if (numClasses < 1) {
            throw new IllegalArgumentException("a classifier needs at least one class, got " + numClasses);
        }
        this.spec = spec;
        this.form = form;
        this.numClasses = numClasses;
        this.convolutions = convolutions;
        for (BlockPlan plan : spec.blocks()) {
            String name = plan.keyPrefix().substring(0, plan.keyPrefix().length() - 1);
            blocks.add(addChildBlock(name, new RepVggBlock(plan, form)));
        }
        linear = addChildBlock("linear", Linear.builder().setUnits(numClasses).build());
        // PyTorch's defaults, which the official recipe trains from (and which keep a fresh
        // network's outputs at a sane scale).
        setInitializer(TorchDefaultInit.KERNEL, Parameter.Type.WEIGHT);
        TorchDefaultInit.bias(linear.getParameters().get("bias"), spec.featureChannels());
    }

    public RepVggSpec spec() {
        return spec;
    }

    public Form form() {
        return form;
    }

    public int numClasses() {
        return numClasses;
    }

    public ConvolutionStrategy convolutions() {
        return convolutions;
    }

    public List<RepVggBlock> blocks() {
        return Collections.unmodifiableList(blocks);
    }

    /**
     * The network's tensors under the official RepVGG state-dict names, in module order:
     * {@code stage0.rbr_dense.conv.weight}, ..., {@code linear.bias}.
     */
    public Map<String, Parameter> stateDict() {
        Map<String, Parameter> stateDict = new LinkedHashMap<>();
        for (RepVggBlock block : blocks) {
            block.putParameters(stateDict);
        }
        stateDict.put("linear.weight", linear.getParameters().get("weight"));
        stateDict.put("linear.bias", linear.getParameters().get("bias"));
        return stateDict;
    }

    /** Allocates every tensor (random weights, identity BN statistics) for NCHW inputs of this size. */
    public void initialize(NDManager manager, int inputSize) {
        initialize(manager, DataType.FLOAT32, new Shape(1, 3, inputSize, inputSize));
    }

    /** Logits for an NCHW batch, in inference mode (BN uses its running statistics). */
    public NDArray infer(NDArray input) {
        return forward(new ParameterStore(input.getManager(), false), new NDList(input), false).singletonOrThrow();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        // Block outputs are closed once the next block has consumed them (see RepVggBlock); the
        // caller's input is the caller's to close.
        ConvolutionStrategy.TrainingPass pass = training && form == Form.TRAIN
                ? convolutions.trainingPass(spec, inputs.head().getShape())
                : ConvolutionStrategy.TrainingPass.PLAIN;
        PairList<String, Object> blockParams = RepVggBlock.withPass(pass);
        NDList x = inputs;
        for (RepVggBlock block : blocks) {
            // A frozen block (freezeThrough) runs as in inference: its batch norms use their
            // running statistics and leave them as they are, as frozen stages do in mmcls.
            NDArray out = block.forward(store, x, training && !block.isFrozen(), blockParams).singletonOrThrow();
            NDArray handed = pass.handOff(block.plan(), out);
            if (handed != out) {
                out.close();
            }
            if (x != inputs) {
                x.close();
            }
            x = new NDList(handed);
        }
        NDArray logits = head(store, x.singletonOrThrow(), training);
        x.close();
        return new NDList(logits);
    }

    /**
     * The last stage a {@code --freeze-through} value freezes: {@code stage0} (the stem) .. {@code
     * stage4} give 0..4; null or {@code none} give -1, nothing frozen.
     */
    public static int lastFrozenStage(String freezeThrough) {
        if (freezeThrough == null || freezeThrough.equals("none")) {
            return -1;
        }
        if (freezeThrough.matches("stage[0-4]")) {
            return freezeThrough.charAt(5) - '0';
        }
        throw new IllegalArgumentException("freeze through '" + freezeThrough
                + "': give none or a stage, stage0 (the stem) .. stage4 (every block; only the classifier trains)");
    }

    /**
     * Freezes the stem and stages 1..{@code lastStage} (0: the stem only; 4: every block, leaving
     * the classifier to train), or unfreezes everything for -1. Frozen blocks get no gradients and
     * keep their batch-norm statistics.
     */
    public void freezeThrough(int lastStage) {
        if (lastStage < -1 || lastStage > 4) {
            throw new IllegalArgumentException("stages are 0..4, got " + lastStage);
        }
        for (RepVggBlock block : blocks) {
            block.setFrozen(block.plan().stage() <= lastStage);
        }
    }

    /** What follows the last block: global average pool, then the linear classifier; logits {@code [N, classes]}. */
    public NDArray head(ParameterStore store, NDArray features, boolean training) {
        NDArray pooled = Pool.globalAvgPool2d(features);
        NDArray logits = linear.forward(store, new NDList(pooled), training).singletonOrThrow();
        pooled.close();
        return logits;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), numClasses)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape[] shapes = inputShapes;
        for (RepVggBlock block : blocks) {
            block.initialize(manager, dataType, shapes);
            shapes = block.getOutputShapes(shapes);
        }
        linear.initialize(manager, dataType, new Shape(shapes[0].get(0), spec.featureChannels()));
    }
}
