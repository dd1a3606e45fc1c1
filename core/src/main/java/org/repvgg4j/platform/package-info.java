/**
 * Internal: what the CPU offers (features, oneDNN instruction sets) and how training convolutions run on it.
 */
package org.repvgg4j.platform;
