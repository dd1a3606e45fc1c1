package org.repvgg4j.infer;

import java.util.Comparator;
import java.util.stream.IntStream;

/** Softmax and top-k over one row of logits. */
public final class Scores {

    private Scores() {}

    /** Probabilities from logits, computed in double and stored as float. */
    public static float[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double[] e = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            e[i] = Math.exp(logits[i] - max);
            sum += e[i];
        }
        float[] p = new float[logits.length];
        for (int i = 0; i < logits.length; i++) {
            p[i] = (float) (e[i] / sum);
        }
        return p;
    }

    /** Indices of the {@code k} largest values, largest first; ties keep the lower index first. */
    public static int[] topK(float[] values, int k) {
        return IntStream.range(0, values.length).boxed()
                .sorted(Comparator.comparingDouble((Integer i) -> -values[i]).thenComparingInt(i -> i))
                .limit(Math.min(k, values.length)).mapToInt(Integer::intValue).toArray();
    }

    /** Index of the largest value (the first on ties). */
    public static int argmax(float[] values) {
        return values.length == 0 ? -1 : topK(values, 1)[0];
    }
}
