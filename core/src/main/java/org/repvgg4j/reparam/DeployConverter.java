package org.repvgg4j.reparam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.repvgg4j.model.BlockPlan;
import org.repvgg4j.model.ConvBn;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.reparam.BranchFusion.BatchNormParams;
import org.repvgg4j.reparam.BranchFusion.KernelBias;
import org.repvgg4j.weights.StateDict;

/**
 * Turns train-form weights into deploy-form weights: per block, the 3x3, 1x1 and identity branches
 * (each with its BN) become one 3x3 kernel with bias. SE and head weights carry over unchanged.
 * The fusion runs in float64 and is stored as float32.
 */
public final class DeployConverter {

    private static final DataType WORK = DataType.FLOAT64;

    private DeployConverter() {}

    /** Deploy weights under official keys ({@code stageN.i.rbr_reparam.weight}), allocated on {@code manager}. */
    public static StateDict convert(RepVggSpec spec, StateDict train, NDManager manager) {
        StateDict deploy = new StateDict();
        for (BlockPlan block : spec.blocks()) {
            String p = block.keyPrefix();
            if (block.se()) {
                for (String k : new String[] {"se.down.weight", "se.down.bias", "se.up.weight", "se.up.bias"}) {
                    deploy.put(p + k, copy(train.get(p + k), manager));
                }
            }
            try (NDManager scope = manager.newSubManager()) {
                KernelBias fused = fuseBlock(block, train, scope);
                NDArray kernel = fused.kernel().toType(DataType.FLOAT32, true);
                NDArray bias = fused.bias().toType(DataType.FLOAT32, true);
                kernel.attach(manager);
                bias.attach(manager);
                deploy.put(p + "rbr_reparam.weight", kernel);
                deploy.put(p + "rbr_reparam.bias", bias);
            }
        }
        deploy.put("linear.weight", copy(train.get("linear.weight"), manager));
        deploy.put("linear.bias", copy(train.get("linear.bias"), manager));
        return deploy;
    }

    /** dense(3x3) + pad(1x1) + identity, each with its batch norm folded in. */
    private static KernelBias fuseBlock(BlockPlan block, StateDict train, NDManager scope) {
        String p = block.keyPrefix();
        KernelBias sum = BranchFusion.fuse(
                work(train.get(p + "rbr_dense.conv.weight"), scope), batchNorm(train, p + "rbr_dense.bn.", scope));
        sum = sum.plus(BranchFusion.fuse(
                BranchFusion.padToThreeByThree(work(train.get(p + "rbr_1x1.conv.weight"), scope)),
                batchNorm(train, p + "rbr_1x1.bn.", scope)));
        if (block.hasIdentity()) {
            NDArray identity = BranchFusion.identityKernel(scope, block.inChannels(), block.groups(), WORK);
            sum = sum.plus(BranchFusion.fuse(identity, batchNorm(train, p + "rbr_identity.", scope)));
        }
        return sum;
    }

    private static BatchNormParams batchNorm(StateDict train, String prefix, NDManager scope) {
        return new BatchNormParams(
                work(train.get(prefix + "weight"), scope),
                work(train.get(prefix + "bias"), scope),
                work(train.get(prefix + "running_mean"), scope),
                work(train.get(prefix + "running_var"), scope),
                ConvBn.BN_EPSILON);
    }

    /** A float64 copy owned by {@code scope}, so every intermediate is freed with it. */
    private static NDArray work(NDArray array, NDManager scope) {
        NDArray copy = array.toType(WORK, true);
        copy.attach(scope);
        return copy;
    }

    private static NDArray copy(NDArray array, NDManager manager) {
        NDArray copy = array.duplicate();
        copy.attach(manager);
        return copy;
    }
}
