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
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;
import java.util.Map;

/**
 * One RepVGG block. Train form: 3x3 conv+BN, 1x1 conv+BN and (where shapes allow) an identity
 * BN, summed. Deploy form: a single 3x3 conv with bias. Both then apply SE (if any) and ReLU.
 */
public final class RepVggBlock extends AbstractBlock {

    /** The forward parameter that carries the network's {@link ConvolutionStrategy.TrainingPass}. */
    private static final String PASS_KEY = "trainingPass";

    private final BlockPlan plan;
    private final Form form;
    private final ConvBn dense;
    private final ConvBn pointwise;
    private final BatchNorm identity;
    private final Conv2d reparam;
    private final SqueezeExcite se;
    private boolean frozen;

    public RepVggBlock(BlockPlan plan, Form form) {
        this.plan = plan;
        this.form = form;
        int out = plan.outChannels();
        if (form == Form.TRAIN) {
            identity = plan.hasIdentity() ? addChildBlock("rbr_identity", ConvBn.batchNorm()) : null;
            dense = addChildBlock("rbr_dense", new ConvBn(out, 3, plan.stride(), plan.groups()));
            pointwise = addChildBlock("rbr_1x1", new ConvBn(out, 1, plan.stride(), plan.groups()));
            reparam = null;
        } else {
            identity = null;
            dense = null;
            pointwise = null;
            reparam = addChildBlock("rbr_reparam", Conv2d.builder()
                    .setKernelShape(new Shape(3, 3))
                    .optStride(new Shape(plan.stride(), plan.stride()))
                    .optPadding(new Shape(1, 1))
                    .setFilters(out)
                    .optGroups(plan.groups())
                    .optBias(true)
                    .build());
            TorchDefaultInit.bias(reparam.getParameters().get("bias"), (long) plan.inChannels() / plan.groups() * 9);
        }
        se = plan.se() ? addChildBlock("se", new SqueezeExcite(out, plan.seChannels())) : null;
    }

    public BlockPlan plan() {
        return plan;
    }

    public Form form() {
        return form;
    }

    /** Whether the block's weights are frozen (none takes a gradient; see {@link #setFrozen}). */
    public boolean isFrozen() {
        return frozen;
    }

    /** Freezes or unfreezes the block's weights; batch-norm running statistics never take gradients. */
    public void setFrozen(boolean frozen) {
        freezeParameters(frozen, RepVggBlock::isWeight);
        this.frozen = frozen;
    }

    private static boolean isWeight(Parameter p) {
        return p.getType() != Parameter.Type.RUNNING_MEAN && p.getType() != Parameter.Type.RUNNING_VAR;
    }

    /** Adds this block's tensors under their official names, in the official module order. */
    void putParameters(Map<String, Parameter> stateDict) {
        String prefix = plan.keyPrefix();
        if (se != null) {
            se.putParameters(prefix + "se.", stateDict);
        }
        if (form == Form.DEPLOY) {
            stateDict.put(prefix + "rbr_reparam.weight", reparam.getParameters().get("weight"));
            stateDict.put(prefix + "rbr_reparam.bias", reparam.getParameters().get("bias"));
            return;
        }
        if (identity != null) {
            ConvBn.putBatchNorm(prefix + "rbr_identity.", identity, stateDict);
        }
        dense.putParameters(prefix + "rbr_dense.", stateDict);
        pointwise.putParameters(prefix + "rbr_1x1.", stateDict);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        // Each intermediate's handle is closed as soon as it is consumed: autograd keeps what the
        // backward pass needs, and the rest is freed now instead of when the batch's manager
        // closes. At 224x224 that is gigabytes of activations per training step.
        NDArray x = inputs.singletonOrThrow();
        NDArray sum;
        if (form == Form.DEPLOY) {
            sum = reparam.forward(store, inputs, training).singletonOrThrow();
        } else {
            sum = branches(store, x, training, training ? trainingPass(params) : ConvolutionStrategy.TrainingPass.PLAIN);
        }
        if (se != null) {
            NDArray excited = se.forward(store, new NDList(sum), training).singletonOrThrow();
            sum.close();
            sum = excited;
        }
        NDArray out = Activation.relu(sum);
        sum.close();
        return new NDList(out);
    }

    /** The train form's three branches, summed: 3x3 conv + BN, 1x1 conv + BN, identity BN. */
    private NDArray branches(ParameterStore store, NDArray x, boolean training, ConvolutionStrategy.TrainingPass pass) {
        NDArray sum;
        try (ConvolutionStrategy.BranchInput input = pass.branchInput(plan, x)) {
            NDArray threeByThree = dense.forward(store, input, training).singletonOrThrow();
            NDArray oneByOne = pointwise.forward(store, input, training).singletonOrThrow();
            sum = threeByThree.add(oneByOne);
            threeByThree.close();
            oneByOne.close();
        }
        if (identity != null) {
            NDArray passed = identity.forward(store, new NDList(x), training).singletonOrThrow();
            NDArray total = sum.add(passed);
            sum.close();
            passed.close();
            sum = total;
        }
        return sum;
    }

    /** The forward parameters that hand a block its network's training pass ({@link RepVgg}). */
    static PairList<String, Object> withPass(ConvolutionStrategy.TrainingPass pass) {
        return new PairList<>(List.of(PASS_KEY), List.<Object>of(pass));
    }

    private static ConvolutionStrategy.TrainingPass trainingPass(PairList<String, Object> params) {
        Object pass = params == null ? null : params.get(PASS_KEY);
        return pass == null ? ConvolutionStrategy.TrainingPass.PLAIN : (ConvolutionStrategy.TrainingPass) pass;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        long size = plan.outputSize((int) in.get(2));
        long width = plan.outputSize((int) in.get(3));
        return new Shape[] {new Shape(in.get(0), plan.outChannels(), size, width)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        if (form == Form.DEPLOY) {
            reparam.initialize(manager, dataType, inputShapes);
        } else {
            dense.initialize(manager, dataType, inputShapes);
            pointwise.initialize(manager, dataType, inputShapes);
            if (identity != null) {
                identity.initialize(manager, dataType, inputShapes);
            }
        }
        if (se != null) {
            se.initialize(manager, dataType, getOutputShapes(inputShapes));
        }
    }
}
