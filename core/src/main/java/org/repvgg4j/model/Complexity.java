package org.repvgg4j.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Parameters and multiply-adds of a RepVGG network, per stage and in total, computed from the spec.
 *
 * <p>Parameters are what an optimiser updates (BN running statistics are buffers and not counted,
 * as in timm and the paper). Multiply-adds count convolutions, the SE bottleneck and the linear
 * head; element-wise work (BN, ReLU, branch sums) is not counted, as in the paper.
 */
public record Complexity(RepVggSpec spec, Form form, int numClasses, int inputSize, List<StageRow> stages,
        long headParams, long headMacs) {

    /** One stage of the network. */
    public record StageRow(int stage, int blocks, int channels, int outputSize, long params, long macs) {}

    public static Complexity of(RepVggSpec spec, Form form, int numClasses, int inputSize) {
        List<StageRow> rows = new ArrayList<>();
        int size = inputSize;
        int stage = -1;
        int blocks = 0;
        int channels = 0;
        long params = 0;
        long macs = 0;
        for (BlockPlan b : spec.blocks()) {
            if (b.stage() != stage) {
                if (stage >= 0) {
                    rows.add(new StageRow(stage, blocks, channels, size, params, macs));
                }
                stage = b.stage();
                blocks = 0;
                params = 0;
                macs = 0;
            }
            size = b.outputSize(size);
            blocks++;
            channels = b.outChannels();
            params += blockParams(b, form);
            macs += blockMacs(b, form, size);
        }
        rows.add(new StageRow(stage, blocks, channels, size, params, macs));
        long headParams = (long) spec.featureChannels() * numClasses + numClasses;
        long headMacs = (long) spec.featureChannels() * numClasses;
        return new Complexity(spec, form, numClasses, inputSize, List.copyOf(rows), headParams, headMacs);
    }

    /** Multiply-adds of one block whose output is {@code outputSize} x {@code outputSize}. */
    public static long blockMacs(BlockPlan b, Form form, int outputSize) {
        long pixels = (long) outputSize * outputSize;
        long macs = pixels * convWeights(b, 3) + (form == Form.TRAIN ? pixels * convWeights(b, 1) : 0);
        return b.se() ? macs + 2L * b.outChannels() * b.seChannels() : macs;
    }

    private static long convWeights(BlockPlan b, int kernel) {
        return (long) b.outChannels() * (b.inChannels() / b.groups()) * kernel * kernel;
    }

    private static long blockParams(BlockPlan b, Form form) {
        long p;
        if (form == Form.TRAIN) {
            long bn = 2L * b.outChannels();
            p = convWeights(b, 3) + bn + convWeights(b, 1) + bn + (b.hasIdentity() ? 2L * b.inChannels() : 0);
        } else {
            p = convWeights(b, 3) + b.outChannels();
        }
        if (b.se()) {
            p += 2L * b.outChannels() * b.seChannels() + b.seChannels() + b.outChannels();
        }
        return p;
    }

    public long params() {
        return stages.stream().mapToLong(StageRow::params).sum() + headParams;
    }

    public long macs() {
        return stages.stream().mapToLong(StageRow::macs).sum() + headMacs;
    }
}
