package org.repvgg4j.infer;

import java.util.Comparator;
import java.util.stream.IntStream;

/** Softmax and top-k over one row of logits: the one implementation every scorer, report and map uses. */
public final class Scores {

    private Scores() {}

    /** Probabilities from logits, computed in double and stored as float. */
    public static float[] softmax(float[] logits) {
        double[] p = probabilities(logits);
        float[] out = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            out[i] = (float) p[i];
        }
        return out;
    }

    /** Probabilities from float logits, kept in double for callers that print them in full. */
    public static double[] probabilities(float[] logits) {
        double[] l = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            l[i] = logits[i];
        }
        return softmax(l);
    }

    /** Probabilities from double logits; the largest logit is subtracted first so exp cannot overflow. */
    public static double[] softmax(double[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : logits) {
            max = Math.max(max, v);
        }
        double[] e = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            e[i] = Math.exp(logits[i] - max);
            sum += e[i];
        }
        for (int i = 0; i < e.length; i++) {
            e[i] /= sum;
        }
        return e;
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

    /** Index of the largest value (the first on ties), -1 for none. */
    public static int argmax(double[] values) {
        if (values.length == 0) {
            return -1;
        }
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
