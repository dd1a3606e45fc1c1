/**
 * Internal (use org.repvgg4j.api.RepVggModel): the engines a model runs on (libtorch, ONNX Runtime, oneDNN), the resolver that picks one, single-image and batch inference.
 */
package org.repvgg4j.infer;
