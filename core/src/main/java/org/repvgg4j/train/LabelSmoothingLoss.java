package org.repvgg4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;

/**
 * Cross-entropy against smoothed targets: the true class gets {@code 1 - eps + eps / C}, every
 * other class {@code eps / C}. With {@code eps = 0} it is plain softmax cross-entropy.
 */
public final class LabelSmoothingLoss extends Loss {

    private final float smoothing;

    public LabelSmoothingLoss(float smoothing) {
        super("loss");
        if (smoothing < 0 || smoothing >= 1) {
            throw new IllegalArgumentException("label smoothing must be in [0, 1), got " + smoothing);
        }
        this.smoothing = smoothing;
    }

    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        NDArray logits = predictions.singletonOrThrow();
        int classes = (int) logits.getShape().get(1);
        NDArray logProb = logits.logSoftmax(1);
        NDArray target = labels.singletonOrThrow().toType(ai.djl.ndarray.types.DataType.INT64, false)
                .oneHot(classes).toType(logProb.getDataType(), false)
                .mul(1 - smoothing).add(smoothing / classes);
        return target.mul(logProb).sum(new int[] {1}).neg().mean();
    }
}
