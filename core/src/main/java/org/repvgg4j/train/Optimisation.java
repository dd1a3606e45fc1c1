package org.repvgg4j.train;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.weights.NetworkWeights;

/**
 * What updates a training network's weights after each backward pass: Nesterov SGD with weight
 * decay (not on biases and batch norms), the official custom L2 where asked, and the weights'
 * moving average where asked, with the twin network that average is evaluated in.
 */
record Optimisation(RepVgg net, Map<String, Parameter> byKey, NesterovSgd sgd, CustomL2 customL2, WeightEma ema,
        RepVgg emaNet) implements AutoCloseable {

    static Optimisation of(RepVgg net, TrainSettings settings, int numClasses, NDManager manager) {
        Map<String, Parameter> byKey = net.stateDict();
        CustomL2 customL2 = settings.customL2() ? new CustomL2(net) : null;
        Set<String> noDecay = new HashSet<>(NesterovSgd.biasAndNormIds(byKey));
        if (customL2 != null) {
            noDecay.addAll(customL2.pointwiseKernelIds());
        }
        NesterovSgd sgd = new NesterovSgd((float) settings.momentum(), (float) settings.weightDecay(), noDecay);
        WeightEma ema = null;
        RepVgg emaNet = null;
        if (settings.emaDecay() > 0) {
            ema = new WeightEma(NetworkWeights.of(net), settings.emaDecay(), manager);
            emaNet = new RepVgg(settings.spec(), Form.TRAIN, numClasses);
            emaNet.initialize(manager, settings.imageSize());
        }
        return new Optimisation(net, byKey, sgd, customL2, ema, emaNet);
    }

    /** Updates the weights from their gradients, then the moving average. */
    void step(double weightDecay) {
        if (customL2 != null) {
            customL2.addGradients(weightDecay);
        }
        sgd.step(byKey.values()); // not trainer.step(): it copies every gradient first
        if (ema != null) {
            ema.update(NetworkWeights.of(net));
        }
    }

    /** The network to evaluate and keep as best: the moving average where there is one, loaded now. */
    RepVgg evaluated() {
        if (ema == null) {
            return net;
        }
        NetworkWeights.load(emaNet, ema.weights(), "weight average");
        return emaNet;
    }

    @Override
    public void close() {
        if (ema != null) {
            ema.close();
        }
    }
}
