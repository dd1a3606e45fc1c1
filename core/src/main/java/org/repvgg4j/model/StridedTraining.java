package org.repvgg4j.model;

import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The stride-2 convolutions that may train strided in this process.
 *
 * <p>By default a stride-2 block after the stem trains from its input's phases
 * ({@link StrideTwoPhases}), because oneDNN's strided input gradient is wrong for some shapes on
 * some machines (docs/BENCHMARKS.md, "Wrong convolutions"). Where a check in another process has
 * found the strided convolution right for a block's exact shape, output and both gradients, for its
 * 3x3 and its 1x1 branch, the block trains strided instead: four fewer convolution calls and no copy
 * into phases. On the Zen 5 machine that makes an A0 training step 9% faster at 224x224 and 13% at
 * 48x48. The check is cli's {@code StridedChoice}; like oneDNN's instruction set, the answer holds
 * for the whole process.
 */
public final class StridedTraining {

    /** One stride-2 convolution: input {@code batch x inChannels x size x size}, square kernel, padding {@code kernel / 2}. */
    public record Convolution(int batch, int inChannels, int outChannels, int kernel, int size, int groups) {
    }

    private static final Set<Convolution> RIGHT = ConcurrentHashMap.newKeySet();

    private StridedTraining() {
    }

    /** Lets these convolutions train strided from now on. */
    public static void allow(Collection<Convolution> right) {
        RIGHT.addAll(right);
    }

    /** Back to the default: every stride-2 block after the stem trains from its phases. */
    public static void reset() {
        RIGHT.clear();
    }

    /**
     * Whether a stride-2 block's branches may run strided for an input of {@code batch x inChannels x
     * height x width}: both its 3x3 and its 1x1 convolution were found right at exactly this shape.
     */
    static boolean allowed(long batch, int inChannels, int outChannels, long height, long width, int groups) {
        if (RIGHT.isEmpty() || height != width || batch > Integer.MAX_VALUE || height > Integer.MAX_VALUE) {
            return false;
        }
        int n = (int) batch;
        int size = (int) height;
        return RIGHT.contains(new Convolution(n, inChannels, outChannels, 3, size, groups))
                && RIGHT.contains(new Convolution(n, inChannels, outChannels, 1, size, groups));
    }
}
