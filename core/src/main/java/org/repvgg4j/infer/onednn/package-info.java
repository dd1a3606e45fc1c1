/**
 * Internal: the deploy network on oneDNN's primitives (Winograd convolutions where the CPU has AVX-512).
 */
package org.repvgg4j.infer.onednn;
