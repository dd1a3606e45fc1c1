/**
 * Internal (use org.repvgg4j.api.Deploy): ONNX and TorchScript writers for the deploy network, int8 quantization and the checks that an exported file reproduces the network.
 */
package org.repvgg4j.export;
