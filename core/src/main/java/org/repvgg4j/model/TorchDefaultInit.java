package org.repvgg4j.model;

import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.UniformInitializer;
import ai.djl.training.initializer.XavierInitializer;

/**
 * PyTorch's default initialisation of conv and linear layers, which the official RepVGG code trains
 * from: the kernel uniform in {@code +-1/sqrt(fan_in)} ({@code kaiming_uniform} with
 * {@code a = sqrt(5)}), and the bias uniform in the same range. DJL would start biases at zero.
 */
final class TorchDefaultInit {

    /** DJL's Xavier with the fan-in factor and magnitude 1 draws from {@code +-sqrt(1 / fan_in)}: PyTorch's kernel init. */
    static final Initializer KERNEL = new XavierInitializer(XavierInitializer.RandomType.UNIFORM,
            XavierInitializer.FactorType.IN, 1);

    private TorchDefaultInit() {
    }

    /** Initialises {@code bias} uniformly in {@code +-1/sqrt(fanIn)}, {@code fanIn} being its layer's kernel's. */
    static void bias(Parameter bias, long fanIn) {
        bias.setInitializer(new UniformInitializer((float) (1 / Math.sqrt(fanIn))));
    }
}
