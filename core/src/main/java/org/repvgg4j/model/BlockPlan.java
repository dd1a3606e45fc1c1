package org.repvgg4j.model;

/**
 * One RepVGG block as the spec lays it out: where it sits, its channels, stride, groups and SE.
 *
 * @param stage 0 for the stem, 1..4 for the stages
 * @param index position within its stage
 * @param layer position in the whole network, counting the stem as layer 0
 */
public record BlockPlan(
        int stage, int index, int layer, int inChannels, int outChannels, int stride, int groups, boolean se) {

    public BlockPlan {
        if (inChannels % groups != 0 || outChannels % groups != 0) {
            throw new IllegalArgumentException("block " + keyPrefix() + ": " + inChannels + " -> "
                    + outChannels + " channels do not divide into " + groups + " groups");
        }
    }

    /** The identity branch exists only where the block can pass its input through unchanged. */
    public boolean hasIdentity() {
        return inChannels == outChannels && stride == 1;
    }

    /** Channels inside the SE bottleneck: {@code C / 16} as in the official code, at least 1. */
    public int seChannels() {
        return Math.max(1, outChannels / RepVggSpec.SE_REDUCTION);
    }

    /** The official state-dict prefix: {@code stage0.} or {@code stageN.i.}. */
    public String keyPrefix() {
        return stage == 0 ? "stage0." : "stage" + stage + "." + index + ".";
    }

    /** Spatial size after this block for an input of {@code size} (3x3, padding 1). */
    public int outputSize(int size) {
        return (size + 2 - 3) / stride + 1;
    }
}
