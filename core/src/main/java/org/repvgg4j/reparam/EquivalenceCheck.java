package org.repvgg4j.reparam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.Random;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.weights.StateDict;

/** Runs the train and deploy forms on the same input and measures how far apart they are. */
public final class EquivalenceCheck {

    private EquivalenceCheck() {}

    /** Both networks in inference mode on {@code input}; the result compares their logits. */
    public static Equivalence compare(RepVgg train, RepVgg deploy, NDArray input, double tolerance) {
        try (NDManager scope = input.getManager().newSubManager()) {
            NDArray x = input.duplicate();
            x.attach(scope);
            NDArray expected = train.infer(x);
            NDArray actual = deploy.infer(x);
            double diff = expected.sub(actual).abs().max().getFloat();
            double scale = expected.abs().max().getFloat();
            return new Equivalence(diff, scale, tolerance);
        }
    }

    /** A standard-normal NCHW batch, the same for the same seed on any engine. */
    public static NDArray randomInput(NDManager manager, int batch, int size, long seed) {
        Random random = new Random(seed);
        float[] data = new float[batch * 3 * size * size];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextGaussian();
        }
        return manager.create(data, new Shape(batch, 3, size, size));
    }

    /**
     * Gives every batch norm of train-form weights random, non-trivial statistics and affine
     * parameters (in place), so that a conversion is tested on more than the identity values a
     * freshly initialised network has.
     */
    public static void randomizeBatchNorms(StateDict train, long seed) {
        Random random = new Random(seed);
        for (Map.Entry<String, NDArray> e : train.asMap().entrySet()) {
            String key = e.getKey();
            if (!isBatchNorm(key)) {
                continue;
            }
            double lo;
            double hi;
            if (key.endsWith("running_var")) {
                lo = 0.5;
                hi = 2.0;
            } else if (key.endsWith("weight")) {
                lo = 0.2;
                hi = 0.8;
            } else {
                lo = -0.3;
                hi = 0.3;
            }
            NDArray array = e.getValue();
            float[] values = new float[Math.toIntExact(array.size())];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (lo + (hi - lo) * random.nextDouble());
            }
            array.set(FloatBuffer.wrap(values));
        }
    }

    private static boolean isBatchNorm(String key) {
        return key.contains(".bn.") || key.contains(".rbr_identity.");
    }
}
