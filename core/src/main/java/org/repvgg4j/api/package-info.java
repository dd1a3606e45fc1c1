/**
 * The public API of repvgg4j: what an application imports. Everything else in {@code org.repvgg4j}
 * is implementation and may change between releases.
 *
 * <ul>
 *   <li>{@link org.repvgg4j.api.RepVggModel}: load a model (directory, ONNX, TorchScript) and classify
 *       images from any number of threads; {@link org.repvgg4j.api.LoadOptions},
 *       {@link org.repvgg4j.api.Prediction}, {@link org.repvgg4j.api.ClassScore},
 *       {@link org.repvgg4j.api.EvaluationReport}.</li>
 *   <li>{@link org.repvgg4j.api.Training}: train from list files with the official recipe's defaults.</li>
 *   <li>{@link org.repvgg4j.api.Deploy}: convert to the deploy form, verify, export ONNX or TorchScript.</li>
 *   <li>DJL: {@link org.repvgg4j.api.RepVggTranslator}, {@link org.repvgg4j.api.RepVggTranslatorFactory},
 *       {@link org.repvgg4j.api.RepVggBlockFactory}; a model directory's {@code serving.properties}
 *       names them, so {@code Criteria.builder().setTypes(Image.class, Classifications.class)
 *       .optModelPath(dir)} needs no other option.</li>
 * </ul>
 *
 * <pre>{@code
 * try (RepVggModel model = RepVggModel.load(Path.of("runs/flowers/deploy"))) {
 *     System.out.println(model.classify(Path.of("rose.jpg")).best());
 * }
 * }</pre>
 *
 * Types in this package show only JDK, DJL and their own types (a test holds it to that).
 */
package org.repvgg4j.api;
