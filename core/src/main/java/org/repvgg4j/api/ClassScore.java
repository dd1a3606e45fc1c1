package org.repvgg4j.api;

/**
 * One class of a {@link Prediction}: its index among the model's outputs, its name, and its softmax probability.
 *
 * <pre>{@code
 * ClassScore best = model.classify(Path.of("cat.jpg")).best();
 * System.out.printf("%s (%d): %.3f%n", best.label(), best.index(), best.probability());
 * }</pre>
 */
public record ClassScore(int index, String label, double probability) {
}
