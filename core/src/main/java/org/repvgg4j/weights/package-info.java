/**
 * Internal: model directories (model.json, model.safetensors, serving.properties), PyTorch checkpoint import and key layouts.
 */
package org.repvgg4j.weights;
