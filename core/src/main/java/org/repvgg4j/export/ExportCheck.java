package org.repvgg4j.export;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Locale;
import org.repvgg4j.infer.Scorer;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.reparam.Equivalence;
import org.repvgg4j.reparam.EquivalenceCheck;

/**
 * Proves an export: the exported file, loaded by the engine that will run it, and our deploy
 * network in DJL run on the same seeded random batch, and the result says how far apart their
 * logits came out.
 */
public final class ExportCheck {

    private ExportCheck() {}

    /**
     * Both on a standard-normal batch of {@code batch} images of {@code size}x{@code size}; the
     * reference scale is DJL's largest absolute logit.
     */
    public static Equivalence compare(RepVgg network, Scorer exported, int size, int batch, long seed,
            double tolerance, NDManager manager) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray input = EquivalenceCheck.randomInput(scope, batch, size, seed);
            float[] expected = network.infer(input).toFloatArray();
            float[][] actual = exported.logits(input.toFloatArray(), batch, size);
            int classes = network.numClasses();
            if (actual.length != batch || actual[0].length != classes) {
                throw new IllegalStateException("the exported model gives " + actual.length + "x" + actual[0].length
                        + " logits, the network " + batch + "x" + classes);
            }
            double diff = 0;
            double scale = 0;
            for (int i = 0; i < batch; i++) {
                for (int c = 0; c < classes; c++) {
                    double e = expected[i * classes + c];
                    diff = Math.max(diff, Math.abs(actual[i][c] - e));
                    scale = Math.max(scale, Math.abs(e));
                }
            }
            return new Equivalence(diff, scale, tolerance);
        }
    }

    /** One line for the command line, in the same terms as the conversion check. */
    public static String describe(Equivalence eq, int batch, String engine) {
        return String.format(Locale.ROOT,
                "max |%s - djl| = %.3g, max |djl| = %.3g, relative %.3g (limit %.0e, batch %d): %s",
                engine, eq.maxAbsDifference(), eq.maxAbsOutput(), eq.relativeDifference(), eq.tolerance(), batch,
                eq.holds() ? "equal" : "NOT equal");
    }
}
