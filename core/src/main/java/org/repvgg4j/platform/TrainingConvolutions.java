package org.repvgg4j.platform;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import java.util.Collection;
import java.util.Set;
import org.repvgg4j.model.BlockPlan;
import org.repvgg4j.model.ConvolutionStrategy;
import org.repvgg4j.model.RepVggSpec;

/**
 * How training computes the train form's convolutions with libtorch's oneDNN, given what checks
 * against float64 ({@link ConvolutionCheck}, run by cli's choices in child processes) found right
 * for this run's shapes and instruction set.
 *
 * <ul>
 *   <li>A stride-2 block after the stem trains from its input's 2x2 phases ({@link StrideTwoPhases}):
 *       oneDNN is then never asked for a strided convolution's input gradient, which some of its
 *       AVX-512 kernels compute wrongly for some shapes, and for others crash on (docs/BENCHMARKS.md,
 *       "Wrong convolutions"). The stem's input, an image, needs no gradient.
 *   <li>Where both branches of such a block were checked right strided at exactly its input shape,
 *       the block trains strided: four fewer convolution calls and no copy into phases.
 *   <li>A run (network, input size, batch size) whose convolutions after the stem were all checked
 *       right channels-last holds its activations channels-last (NHWC in memory) after the stem.
 *       libtorch keeps a convolution's output in its input's memory format, so one conversion carries
 *       every later block, its batch norms and its gradients in the layout oneDNN's kernels work in;
 *       NCHW costs a reorder on each side of every convolution (docs/BENCHMARKS.md, "Channels-last
 *       training"). Its stride-2 blocks train strided: that is what the check covered. The stem
 *       stays NCHW, and so does inference.
 * </ul>
 */
public final class TrainingConvolutions implements ConvolutionStrategy {

    /** One stride-2 convolution: input {@code batch x inChannels x size x size}, square kernel, padding {@code kernel / 2}. */
    public record StridedConvolution(int batch, int inChannels, int outChannels, int kernel, int size, int groups) {
    }

    /** A network (by its spec's name) trained at {@code imageSize x imageSize} in batches of {@code batch}. */
    public record ChannelsLastRun(String spec, int imageSize, int batch) {
    }

    /**
     * Smaller inputs train NCHW: small maps leave little reorder work to save, and the conversion
     * after the stem still costs (measured from 48x48 to 224x224: docs/BENCHMARKS.md, "Channels-last
     * training").
     */
    public static final int MIN_CHANNELS_LAST_SIZE = 96;

    /** Turns channels-last training off whatever the checks say, e.g. for an A/B benchmark: {@code -Drepvgg.channels_last=off}. */
    public static final String CHANNELS_LAST_SWITCH = "repvgg.channels_last";

    private final Set<StridedConvolution> stridedRight;
    private final Set<ChannelsLastRun> channelsLastRuns;

    /**
     * @param stridedRight the stride-2 convolutions checked right strided at their shapes
     * @param channelsLastRuns the runs whose convolutions after the stem were checked right channels-last
     */
    public TrainingConvolutions(Collection<StridedConvolution> stridedRight, Collection<ChannelsLastRun> channelsLastRuns) {
        this.stridedRight = Set.copyOf(stridedRight);
        this.channelsLastRuns = Set.copyOf(channelsLastRuns);
    }

    /** Nothing checked: every stride-2 block after the stem trains from its phases, NCHW throughout. */
    public static TrainingConvolutions unchecked() {
        return new TrainingConvolutions(Set.of(), Set.of());
    }

    /** Whether {@link #CHANNELS_LAST_SWITCH} turns channels-last training off. */
    public static boolean channelsLastSwitchedOff() {
        return "off".equals(System.getProperty(CHANNELS_LAST_SWITCH));
    }

    @Override
    public TrainingPass trainingPass(RepVggSpec spec, Shape input) {
        return channelsLast(spec, input) ? new ChannelsLastPass() : new PhasesPass();
    }

    /** Whether a training batch of shape {@code N x 3 x H x W} for {@code spec} runs channels-last after the stem. */
    public boolean channelsLast(RepVggSpec spec, Shape input) {
        if (channelsLastRuns.isEmpty() || input.dimension() != 4 || input.get(2) != input.get(3)
                || input.get(2) < MIN_CHANNELS_LAST_SIZE || input.get(0) > Integer.MAX_VALUE
                || input.get(2) > Integer.MAX_VALUE || channelsLastSwitchedOff()) {
            return false;
        }
        return channelsLastRuns.contains(new ChannelsLastRun(spec.name(), (int) input.get(2), (int) input.get(0)));
    }

    /** Whether an NCHW training pass computes this block, on an input of this shape, from the input's phases. */
    public boolean fromPhases(BlockPlan block, Shape input) {
        return block.stride() == 2 && block.layer() > 0 && !stridedRight(block, input);
    }

    /** Both branches of a stride-2 block were checked right strided at exactly this input shape. */
    private boolean stridedRight(BlockPlan block, Shape input) {
        if (stridedRight.isEmpty() || input.get(2) != input.get(3) || input.get(0) > Integer.MAX_VALUE
                || input.get(2) > Integer.MAX_VALUE) {
            return false;
        }
        int n = (int) input.get(0);
        int size = (int) input.get(2);
        return stridedRight.contains(new StridedConvolution(n, block.inChannels(), block.outChannels(), 3, size, block.groups()))
                && stridedRight.contains(new StridedConvolution(n, block.inChannels(), block.outChannels(), 1, size, block.groups()));
    }

    @Override
    public String toString() {
        return "stride 2 from phases unless checked (" + stridedRight.size() + " checked strided, "
                + channelsLastRuns.size() + " channels-last runs)";
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

    /** NCHW; stride-2 blocks after the stem from their phases unless checked right strided. */
    private final class PhasesPass implements TrainingPass {
        @Override
        public BranchInput branchInput(BlockPlan block, NDArray input) {
            if (!fromPhases(block, input.getShape())) {
                return BranchInput.direct(input, block);
            }
            NDList phases = StrideTwoPhases.split(input);
            return new BranchInput() {
                @Override
                public NDArray convolve(NDArray kernel) {
                    return StrideTwoPhases.convolve(phases, kernel, block.groups());
                }

                @Override
                public void close() {
                    phases.close();
                }
            };
        }
    }

    /** Channels-last after the stem; every block convolves its input directly, in the input's layout. */
    private static final class ChannelsLastPass implements TrainingPass {
        @Override
        public NDArray handOff(BlockPlan block, NDArray output) {
            return block.layer() == 0 ? toChannelsLast(output) : output;
        }
    }
}
