package org.repvgg4j.reparam;

import java.util.Locale;

/**
 * How closely the deploy form reproduced the train form on one input: the largest absolute
 * difference of their outputs against the largest absolute train output.
 */
public record Equivalence(double maxAbsDifference, double maxAbsOutput, double tolerance) {

    /** The bar we hold conversions to: differences within 1e-4 of the output scale (fp32). */
    public static final double DEFAULT_TOLERANCE = 1e-4;

    public double relativeDifference() {
        return maxAbsOutput == 0 ? maxAbsDifference : maxAbsDifference / maxAbsOutput;
    }

    public boolean holds() {
        return maxAbsDifference <= tolerance * maxAbsOutput;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT,
                "max |deploy - train| = %.3g, max |train| = %.3g, relative %.3g (limit %.0e): %s",
                maxAbsDifference, maxAbsOutput, relativeDifference(), tolerance, holds() ? "equal" : "NOT equal");
    }
}
