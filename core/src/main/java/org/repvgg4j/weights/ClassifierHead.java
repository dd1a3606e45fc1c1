package org.repvgg4j.weights;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;

/** A new linear head for fine-tuning on other classes, initialised as PyTorch's nn.Linear is. */
public final class ClassifierHead {

    private ClassifierHead() {}

    /**
     * Replaces {@code linear.weight} and {@code linear.bias} of {@code weights} with a fresh head
     * for {@code numClasses} classes over {@code features} inputs. PyTorch's default
     * (kaiming_uniform with a = sqrt(5) for the weight, and the same bound for the bias) draws
     * both uniformly from +-1/sqrt(features). Deterministic for a seed.
     */
    public static void reinitialise(StateDict weights, int features, int numClasses, long seed, NDManager manager) {
        Random random = new Random(seed);
        double bound = 1 / Math.sqrt(features);
        float[] w = new float[numClasses * features];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) ((2 * random.nextDouble() - 1) * bound);
        }
        float[] b = new float[numClasses];
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) ((2 * random.nextDouble() - 1) * bound);
        }
        weights.put("linear.weight", manager.create(w, new Shape(numClasses, features)));
        weights.put("linear.bias", manager.create(b, new Shape(numClasses)));
    }
}
