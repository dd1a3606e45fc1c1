package org.repvgg4j.api;

import java.util.Arrays;
import java.util.List;

/**
 * What a model says about one image: the {@code k} most probable classes, most probable first, and
 * the network's raw scores (logits, one per class) when {@link LoadOptions#withRawScores(boolean)}
 * asked for them.
 *
 * <pre>{@code
 * Prediction p = model.classify(Path.of("cat.jpg"));
 * for (ClassScore c : p.top()) {
 *     System.out.println(c.label() + " " + c.probability());
 * }
 * }</pre>
 *
 * @param top the most probable classes, most probable first (ties: lower index first)
 * @param logits the raw scores of every class, or an empty array unless raw scores were asked for
 */
public record Prediction(List<ClassScore> top, float[] logits) {

    public Prediction {
        top = List.copyOf(top);
        logits = logits.clone();
    }

    /** The most probable class. */
    public ClassScore best() {
        return top.get(0);
    }

    /** The raw scores (a copy): one per class in the model's class order, empty unless asked for. */
    @Override
    public float[] logits() {
        return logits.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Prediction p && top.equals(p.top) && Arrays.equals(logits, p.logits);
    }

    @Override
    public int hashCode() {
        return 31 * top.hashCode() + Arrays.hashCode(logits);
    }

    @Override
    public String toString() {
        return "Prediction" + top + (logits.length > 0 ? " logits=" + Arrays.toString(logits) : "");
    }
}
