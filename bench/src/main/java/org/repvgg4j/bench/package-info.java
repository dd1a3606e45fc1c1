/**
 * The benchmark harness behind repvgg bench: forward passes per engine and precision, training steps, machine ceilings; not part of the library.
 */
package org.repvgg4j.bench;
