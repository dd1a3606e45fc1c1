/**
 * The baseline networks RepVGG is compared with: SqueezeNet 1.1 and ResNet-18.
 */
package org.repvgg4j.bench.baselines;
