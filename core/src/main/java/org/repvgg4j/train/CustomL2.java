package org.repvgg4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.repvgg4j.model.ConvBn;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggBlock;

/**
 * The official RepVGG code's "custom L2" ({@code get_custom_L2}): weight decay on what the deploy
 * form will hold rather than on each branch. Per train-form block, the 3x3 kernel's outer ring gets
 * plain L2; its centre tap is decayed together with the 1x1 kernel as the fused centre
 * {@code K3c t3 + K1 t1} (t = the branch's BN scale, gamma / sqrt(var + eps), held constant),
 * divided by {@code t3^2 + t1^2} so that its strength is comparable with plain L2. The recipe adds
 * {@code weight_decay / 2} times the sum over blocks to the loss and exempts the two kernels from
 * the optimizer's own decay; {@link #addGradients} adds that term's gradient directly instead.
 */
public final class CustomL2 {

    /** The centre tap of every 3x3 kernel, {@code [:, :, 1:2, 1:2]}. */
    private static final NDIndex CENTRE = new NDIndex(":, :, 1:2, 1:2");

    private final Map<String, Parameter> stateDict;
    private final Iterable<RepVggBlock> blocks;

    public CustomL2(RepVgg network) {
        if (network.form() != Form.TRAIN) {
            throw new IllegalArgumentException("custom L2 needs the train form (its branches), got "
                    + network.form().id() + " form");
        }
        this.stateDict = network.stateDict();
        this.blocks = network.blocks();
    }

    /**
     * Ids of the 1x1 kernels, which the optimizer must leave undecayed: their decay comes from
     * {@link #addGradients}. The 3x3 kernels keep the optimizer's plain decay, which is this term's
     * gradient on their outer ring, and {@link #addGradients} corrects their centre tap.
     */
    public Set<String> pointwiseKernelIds() {
        Set<String> ids = new HashSet<>();
        for (RepVggBlock block : blocks) {
            ids.add(stateDict.get(block.plan().keyPrefix() + "rbr_1x1.conv.weight").getId());
        }
        return ids;
    }

    /**
     * Adds to the kernels' gradients what {@code weightDecay / 2 * value()} adds, less the plain
     * decay {@code weightDecay * K3} the optimizer applies to the 3x3 kernels: {@code wd * f t1 / n}
     * to the 1x1 kernel and {@code wd * (f t3 / n - K3c)} to the 3x3 centre tap, where {@code f} is the
     * fused centre and {@code n = t3^2 + t1^2}. Computed directly rather than through autograd,
     * which costs several times more per step. Call it after the backward pass, before the update.
     */
    public void addGradients(double weightDecay) {
        try (NDScope scope = new NDScope()) {
            for (RepVggBlock block : blocks) {
                if (block.isFrozen()) {
                    continue;
                }
                String prefix = block.plan().keyPrefix();
                PtNDArray k3 = (PtNDArray) array(prefix + "rbr_dense.conv.weight");
                PtNDArray k1 = (PtNDArray) array(prefix + "rbr_1x1.conv.weight");
                PtNDArray g3 = JniUtils.getGradient(k3);
                PtNDArray g1 = JniUtils.getGradient(k1);
                if (g3 == null || g1 == null) {
                    continue; // no backward pass reached them
                }
                NDArray t3 = scale(prefix + "rbr_dense.bn.");
                NDArray t1 = scale(prefix + "rbr_1x1.bn.");
                NDArray centre = k3.get(CENTRE);
                NDArray norm = t3.square().add(t1.square());
                NDArray fused = centre.mul(t3).add(k1.mul(t1));
                g1.addi(fused.mul(t1).div(norm).mul(weightDecay));
                g3.set(CENTRE, g3.get(CENTRE).add(fused.mul(t3).div(norm).sub(centre).mul(weightDecay)));
            }
        }
    }

    /**
     * The sum over blocks of {@code get_custom_L2()}, a scalar that autograd can differentiate
     * through both kernels (for checks; training uses {@link #addGradients}). Its intermediate arrays
     * belong to the parameters' manager: compute it inside an {@code NDScope}. Frozen blocks are left
     * out; null if every block is frozen.
     */
    public NDArray value() {
        NDArray total = null;
        for (RepVggBlock block : blocks) {
            if (block.isFrozen()) {
                continue;
            }
            String prefix = block.plan().keyPrefix();
            NDArray k3 = array(prefix + "rbr_dense.conv.weight");
            NDArray k1 = array(prefix + "rbr_1x1.conv.weight");
            NDArray t3 = scale(prefix + "rbr_dense.bn.");
            NDArray t1 = scale(prefix + "rbr_1x1.bn.");
            NDArray centre = k3.get(CENTRE);
            NDArray ring = k3.square().sum().sub(centre.square().sum());
            NDArray fused = centre.mul(t3).add(k1.mul(t1));
            NDArray centreTerm = fused.square().div(t3.square().add(t1.square())).sum();
            NDArray blockTerm = ring.add(centreTerm);
            total = total == null ? blockTerm : total.add(blockTerm);
        }
        return total;
    }

    private NDArray array(String key) {
        return stateDict.get(key).getArray();
    }

    /** gamma / sqrt(running_var + eps) per output channel, as [C, 1, 1, 1], outside the gradient. */
    private NDArray scale(String bnPrefix) {
        NDArray gamma = array(bnPrefix + "weight").stopGradient();
        NDArray variance = array(bnPrefix + "running_var").stopGradient();
        return gamma.div(variance.add(ConvBn.BN_EPSILON).sqrt()).reshape(-1, 1, 1, 1);
    }
}
