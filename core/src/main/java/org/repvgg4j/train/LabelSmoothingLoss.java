package org.repvgg4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.loss.Loss;

/**
 * Cross-entropy against smoothed targets: the true class gets {@code 1 - eps + eps / C}, every
 * other class {@code eps / C}. With {@code eps = 0} it is plain softmax cross-entropy. Labels are
 * class indices, or class probabilities (a mixed batch's), smoothed the same way.
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

    /**
     * The mean loss over the batch. It belongs to the predictions' manager, whatever manager the
     * labels live in: a result in a longer-lived labels manager would keep every step's autograd
     * graph alive until that manager closes (a fixed label array reused across steps grew the
     * process by the size of the activations per step).
     */
    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        NDArray logits = predictions.singletonOrThrow();
        int classes = (int) logits.getShape().get(1);
        NDArray logProb = logits.logSoftmax(1);
        try (NDManager scope = logits.getManager().newSubManager()) {
            NDArray label = labels.singletonOrThrow();
            label.tempAttach(scope);
            // Class indices [n], or class probabilities [n, classes] (mixed batches, BatchMixing).
            NDArray probabilities = label.getShape().dimension() == 2
                    ? label.toType(logProb.getDataType(), false)
                    : label.toType(DataType.INT64, false).oneHot(classes).toType(logProb.getDataType(), false);
            NDArray target = probabilities.mul(1 - smoothing).add(smoothing / classes);
            return logProb.mul(target).sum(new int[] {1}).neg().mean();
        }
    }
}
