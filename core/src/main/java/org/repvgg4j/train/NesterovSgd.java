package org.repvgg4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.optimizer.Optimizer;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SGD with Nesterov momentum and decoupled-from-BN weight decay, as PyTorch's {@code SGD(nesterov=True)}
 * computes it: {@code g = grad + wd * w} (wd only for parameters that decay), {@code v = mu * v + g},
 * {@code w -= lr * (g + mu * v)}. The learning rate is set by the training loop before each step.
 */
public final class NesterovSgd extends Optimizer {

    private final float momentum;
    private final float weightDecay;
    private final Set<String> noDecay;
    private final Map<String, NDArray> velocity = new ConcurrentHashMap<>();
    private volatile float learningRate;

    /** {@code noDecay}: parameter ids (DJL {@code Parameter.getId()}) without weight decay (biases, BN). */
    public NesterovSgd(float momentum, float weightDecay, Set<String> noDecay) {
        super(new Builder());
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.noDecay = Set.copyOf(noDecay);
    }

    /**
     * Ids of the parameters the official recipe exempts from weight decay: every bias and every
     * batch-norm scale and shift, recognised by their official state-dict names.
     */
    public static Set<String> biasAndNormIds(Map<String, Parameter> stateDict) {
        Set<String> ids = new java.util.HashSet<>();
        stateDict.forEach((key, p) -> {
            if (key.endsWith(".bias") || key.contains(".bn.") || key.contains("rbr_identity.")) {
                ids.add(p.getId());
            }
        });
        return ids;
    }

    public void setLearningRate(double learningRate) {
        this.learningRate = (float) learningRate;
    }

    /** The momentum buffers by parameter id, for checkpoints. */
    public Map<String, NDArray> velocity() {
        return velocity;
    }

    /** Restores a momentum buffer (copied into memory owned alongside the weight). */
    public void restoreVelocity(String parameterId, NDArray weight, float[] values) {
        NDArray v = weight.zerosLike();
        v.set(java.nio.FloatBuffer.wrap(values));
        velocity.put(parameterId, v);
    }

    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        NDArray v = velocity.computeIfAbsent(parameterId, k -> weight.zerosLike());
        try (NDManager scope = weight.getManager().newSubManager()) {
            scope.tempAttachAll(weight, grad, v);
            NDArray g = noDecay.contains(parameterId) || weightDecay == 0 ? grad : grad.add(weight.mul(weightDecay));
            v.muli(momentum).addi(g);
            NDArray step = g.add(v.mul(momentum));
            weight.subi(step.muli(learningRate));
        }
        // DJL hands us a copy of the gradient and leaves zeroing the real one to the optimizer
        // (its own optimizers do it natively); otherwise gradients pile up across steps.
        JniUtils.zeroGrad((PtNDArray) weight);
    }

    private static final class Builder extends OptimizerBuilder<Builder> {
        @Override
        protected Builder self() {
            return this;
        }
    }
}
