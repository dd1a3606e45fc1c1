package org.repvgg4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.optimizer.Optimizer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
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

    /**
     * One update of every trainable parameter, in place, from its gradient; the gradients are then
     * zeroed for the next backward pass. Use this instead of DJL's {@code Trainer.step()}, which
     * copies every gradient before handing it to {@link #update} (A0: 36 against 26 ms per step,
     * docs/BENCHMARKS.md). Runs as one call into a TorchScript module ({@link FusedUpdate}) where
     * that loads, else parameter by parameter ({@link #stepEach}); both compute the same update.
     */
    public void step(Collection<Parameter> parameters) {
        if (!FusedUpdate.available()) {
            stepEach(parameters);
            return;
        }
        List<PtNDArray> weights = new ArrayList<>();
        List<PtNDArray> grads = new ArrayList<>();
        List<PtNDArray> velocities = new ArrayList<>();
        List<Double> decays = new ArrayList<>();
        try {
            for (Parameter parameter : parameters) {
                NDArray weight = parameter.getArray();
                // parameters that took no part in the backward pass are skipped, as PyTorch's SGD does
                if (!parameter.requiresGradient() || !weight.hasGradient()) {
                    continue;
                }
                PtNDArray grad = JniUtils.getGradient((PtNDArray) weight); // shares the gradient's memory
                if (grad == null) {
                    continue;
                }
                grads.add(grad);
                weights.add((PtNDArray) weight);
                velocities.add((PtNDArray) velocityOf(parameter.getId(), weight));
                decays.add(decayed(parameter.getId()) ? (double) weightDecay : 0.0);
            }
            if (!weights.isEmpty()) {
                FusedUpdate.run(weights, grads, velocities, decays, learningRate, momentum);
            }
        } finally {
            grads.forEach(NDArray::close);
        }
    }

    /** {@link #step} one parameter at a time, with DJL's operations. */
    void stepEach(Collection<Parameter> parameters) {
        for (Parameter parameter : parameters) {
            if (!parameter.requiresGradient()) {
                continue;
            }
            NDArray weight = parameter.getArray();
            // a handle to the gradient tensor itself, which is used as scratch and zeroed after; null
            // where the parameter took no part in the backward pass, which PyTorch's SGD skips too
            // (NDArray.getGradient would hand out zeros instead)
            try (NDArray grad = weight.hasGradient() ? JniUtils.getGradient((PtNDArray) weight) : null) {
                if (grad == null) {
                    continue;
                }
                apply(parameter.getId(), weight, grad);
            }
            JniUtils.zeroGrad((PtNDArray) weight);
        }
    }

    /** DJL's path ({@code Trainer.step()}): {@code grad} is DJL's copy of the gradient. */
    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        apply(parameterId, weight, grad);
        // DJL leaves zeroing the real gradient to the optimizer (its own optimizers do it natively);
        // otherwise gradients pile up across steps.
        JniUtils.zeroGrad((PtNDArray) weight);
    }

    /** The update with {@code grad} as scratch: two temporaries per parameter, every other operation in place. */
    private void apply(String parameterId, NDArray weight, NDArray grad) {
        NDArray v = velocityOf(parameterId, weight);
        if (decayed(parameterId)) {
            try (NDArray decay = weight.mul(weightDecay)) {
                grad.addi(decay); // g = grad + wd * w
            }
        }
        v.muli(momentum).addi(grad); // v = mu * v + g
        try (NDArray ahead = v.mul(momentum)) {
            grad.addi(ahead); // g + mu * v
        }
        weight.subi(grad.muli(learningRate));
    }

    private NDArray velocityOf(String parameterId, NDArray weight) {
        return velocity.computeIfAbsent(parameterId, k -> weight.zerosLike());
    }

    private boolean decayed(String parameterId) {
        return weightDecay != 0 && !noDecay.contains(parameterId);
    }

    private static final class Builder extends OptimizerBuilder<Builder> {
        @Override
        protected Builder self() {
            return this;
        }
    }
}
