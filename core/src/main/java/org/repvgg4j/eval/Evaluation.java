package org.repvgg4j.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import org.repvgg4j.data.ListDataset;
import org.repvgg4j.model.RepVgg;

/** Runs a network in inference mode over a labelled dataset: cross-entropy, top-1 and top-5. */
public final class Evaluation {

    private Evaluation() {}

    public static EvalResult run(RepVgg net, ListDataset data, NDManager manager) {
        TopK scores = new TopK(net.numClasses());
        int skippedBefore = data.skippedImages();
        try (NDManager scope = manager.newSubManager()) {
            for (Batch batch : data.getData(scope)) {
                try (batch) {
                    NDArray logits = net.infer(batch.getData().singletonOrThrow());
                    scores.add(logits.toFloatArray(), batch.getLabels().singletonOrThrow().toIntArray());
                }
            }
        }
        return new EvalResult(scores.meanLoss(), scores.top1(), scores.top5(), scores.count(),
                data.skippedImages() - skippedBefore);
    }

    /** Accumulates cross-entropy and top-k hits from rows of logits. */
    public static final class TopK {
        private final int classes;
        private double lossSum;
        private long top1;
        private long top5;
        private int count;

        public TopK(int classes) {
            this.classes = classes;
        }

        /** {@code logits}: row-major [labels.length, classes]. */
        public void add(float[] logits, int[] labels) {
            for (int r = 0; r < labels.length; r++) {
                int base = r * classes;
                float target = logits[base + labels[r]];
                int above = 0;
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < classes; c++) {
                    max = Math.max(max, logits[base + c]);
                    if (logits[base + c] > target) {
                        above++;
                    }
                }
                double sum = 0;
                for (int c = 0; c < classes; c++) {
                    sum += Math.exp(logits[base + c] - max);
                }
                lossSum += Math.log(sum) + max - target;
                top1 += above == 0 ? 1 : 0;
                top5 += above < 5 ? 1 : 0;
                count++;
            }
        }

        public int count() {
            return count;
        }

        public double meanLoss() {
            return count == 0 ? Double.NaN : lossSum / count;
        }

        public double top1() {
            return count == 0 ? Double.NaN : (double) top1 / count;
        }

        public double top5() {
            return count == 0 ? Double.NaN : (double) top5 / count;
        }
    }
}
