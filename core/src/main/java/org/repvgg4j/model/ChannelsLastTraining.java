package org.repvgg4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The training runs that hold their activations channels-last (NHWC in memory) after the stem.
 *
 * <p>libtorch keeps a convolution's output in its input's memory format, so one conversion after
 * the stem carries every later block, its batch norms and its gradients in NHWC, the layout oneDNN's
 * kernels work in; NCHW costs a reorder on each side of every convolution, forward and backward,
 * and an ATen copy of each stride-2 layer's input gradient, which oneDNN hands back in NHWC. On an
 * Intel Xeon with AVX-512 a training step of A0 at 224x224, batch 32, is 12% faster this way
 * (docs/BENCHMARKS.md, "Channels-last training").
 *
 * <p>Off unless allowed: on the Zen 5 machine oneDNN computes some channels-last convolutions and
 * gradients wrongly (ibid., "Wrong convolutions"). cli's {@code LayoutChoice} checks each of a run's
 * convolutions after the stem in channels-last against float64, in a child process, and allows the
 * run here only if every one is right. Channels-last blocks train their stride-2 layers strided:
 * the check covered exactly that. The stem stays NCHW (its input is the image; on the Zen 5 machine
 * its channels-last 1x1 weight gradient corrupts the heap), and so does inference.
 */
public final class ChannelsLastTraining {

    /** A network (by its spec's name) trained at {@code imageSize x imageSize} in batches of {@code batch}. */
    public record Run(String spec, int imageSize, int batch) {
    }

    /**
     * Smaller inputs train NCHW: A0 training steps on the Intel Xeon, channels-last against NCHW
     * (alternating runs of {@code bench --train-step}): 224x224 batch 32 12% faster, 112x112 batch
     * 32 7-8% faster, 64x64 batch 64 even, 48x48 batch 32 1-3% slower. Small maps leave little
     * reorder work to save, and the conversion after the stem still costs.
     */
    public static final int MIN_IMAGE_SIZE = 96;

    /** Turns channels-last training off whatever the checks say, e.g. for an A/B benchmark: {@code -Drepvgg.channels_last=off}. */
    public static final String SWITCH = "repvgg.channels_last";

    private static final Set<Run> ALLOWED = ConcurrentHashMap.newKeySet();

    private ChannelsLastTraining() {
    }

    /** Lets these runs train channels-last from now on. */
    public static void allow(Collection<Run> runs) {
        ALLOWED.addAll(runs);
    }

    /** Back to the default: NCHW everywhere. */
    public static void reset() {
        ALLOWED.clear();
    }

    /** Whether {@link #SWITCH} turns it off. */
    public static boolean switchedOff() {
        return "off".equals(System.getProperty(SWITCH));
    }

    /** Whether a training batch of shape {@code N x 3 x H x W} for {@code spec} runs channels-last after the stem. */
    static boolean enabled(RepVggSpec spec, Shape input) {
        if (ALLOWED.isEmpty() || input.dimension() != 4 || input.get(2) != input.get(3) || input.get(2) < MIN_IMAGE_SIZE
                || input.get(0) > Integer.MAX_VALUE || input.get(2) > Integer.MAX_VALUE || switchedOff()) {
            return false;
        }
        return ALLOWED.contains(new Run(spec.name(), (int) input.get(2), (int) input.get(0)));
    }

    /**
     * The same values, still indexed {@code N x C x H x W}, laid out in memory as {@code N x H x W x
     * C}: libtorch's channels-last format. One copy; its gradient is the copy back.
     */
    public static NDArray toChannelsLast(NDArray nchw) {
        long[] d = nchw.getShape().getShape();
        if (d.length != 4) {
            throw new IllegalArgumentException("channels-last needs an N x C x H x W array, got " + nchw.getShape());
        }
        // The transpose is a view; reshaping it across the merged W x C axis forces a contiguous
        // NHWC copy, and the transpose back is a view of that copy with NCHW indices.
        // The intermediate handles are closed; autograd keeps what it needs.
        try (NDArray nhwcView = nchw.transpose(0, 2, 3, 1);
                NDArray copy = nhwcView.reshape(d[0], d[2], d[3] * d[1]);
                NDArray nhwc = copy.reshape(d[0], d[2], d[3], d[1])) {
            return nhwc.transpose(0, 3, 1, 2);
        }
    }
}
