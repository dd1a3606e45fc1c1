package org.repvgg4j.infer.onednn;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.repvgg4j.export.DeployTensors;
import org.repvgg4j.model.BlockPlan;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.StateDict;

/**
 * A deploy-form RepVGG as oneDNN builds it: the fused 3x3 convolutions in order (weights OIHW,
 * biases), and the linear layer. Held in Java arrays, so that plans for new batch sizes can be
 * compiled after the DJL tensors it was read from are gone.
 */
record OneDnnNetwork(List<Conv> convolutions, int features, int classes, float[] linearWeight, float[] linearBias) {

    /** One block: 3x3 convolution with padding 1, bias, ReLU. {@code weights} is OIHW (groups: GOIHW). */
    record Conv(String name, int in, int out, int groups, int stride, float[] weights, float[] bias) {}

    /**
     * Reads the deploy weights under the official key names. A missing key or a wrong shape is refused
     * naming the key, and so is a key the network does not use (weights of another network).
     */
    static OneDnnNetwork of(ModelConfig config, StateDict weights) {
        if (config.form() != Form.DEPLOY) {
            throw new IllegalArgumentException("the onednn engine runs the deploy form; convert the "
                    + config.form().id() + "-form model first");
        }
        RepVggSpec spec = config.spec();
        Set<String> used = new HashSet<>();
        List<Conv> convs = new ArrayList<>();
        for (BlockPlan plan : spec.blocks()) {
            if (plan.se()) {
                throw new IllegalArgumentException("RepVGG-" + spec.name() + ": blocks with squeeze-excitation ("
                        + plan.keyPrefix() + "se) do not run on the onednn engine; use --engine onnxruntime");
            }
            String w = plan.keyPrefix() + "rbr_reparam.weight";
            String b = plan.keyPrefix() + "rbr_reparam.bias";
            int out = plan.outChannels();
            convs.add(new Conv(plan.keyPrefix() + "rbr_reparam", plan.inChannels(), out, plan.groups(), plan.stride(),
                    DeployTensors.floats(DeployTensors.require(weights, w, out, plan.inChannels() / plan.groups(), 3, 3)),
                    DeployTensors.floats(DeployTensors.require(weights, b, out))));
            used.add(w);
            used.add(b);
        }
        int features = spec.featureChannels();
        int classes = config.numClasses();
        float[] linearWeight = DeployTensors.floats(DeployTensors.require(weights, "linear.weight", classes, features));
        float[] linearBias = DeployTensors.floats(DeployTensors.require(weights, "linear.bias", classes));
        used.add("linear.weight");
        used.add("linear.bias");
        DeployTensors.refuseUnused(weights, used);
        return new OneDnnNetwork(List.copyOf(convs), features, classes, linearWeight, linearBias);
    }
}
