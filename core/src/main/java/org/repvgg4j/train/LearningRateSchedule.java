package org.repvgg4j.train;

/**
 * The official recipe's learning rate per optimizer step: a linear warm-up from {@code base /
 * warmupSteps} to {@code base}, then a cosine decay to {@code min} at the last step.
 */
public record LearningRateSchedule(double base, double min, long warmupSteps, long totalSteps) {

    public LearningRateSchedule {
        if (base <= 0 || min < 0 || min > base) {
            throw new IllegalArgumentException("learning rate must be > 0 and >= min, got " + base + " / " + min);
        }
        if (totalSteps < 1 || warmupSteps < 0 || warmupSteps > totalSteps) {
            throw new IllegalArgumentException("bad schedule: " + warmupSteps + " warm-up of " + totalSteps + " steps");
        }
    }

    /** The rate for step {@code step} (0-based). */
    public double at(long step) {
        if (step < warmupSteps) {
            return base * (step + 1) / warmupSteps;
        }
        long decaySteps = Math.max(1, totalSteps - warmupSteps);
        double progress = Math.min(1.0, (double) (step - warmupSteps) / decaySteps);
        return min + (base - min) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
}
