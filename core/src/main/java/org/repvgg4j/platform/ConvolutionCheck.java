package org.repvgg4j.platform;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.repvgg4j.model.BlockPlan;
import org.repvgg4j.model.RepVggSpec;

/**
 * Checks that the engine computes a network's convolutions correctly on this machine: each
 * distinct convolution of the train form, run forward and backward in float32 by the engine, as
 * training runs it, and in float64 as a sum of matrix products, on the same data.
 *
 * <p>Why this exists: libtorch 2.7.1's oneDNN 3.7 gives wrong results for some convolutions with
 * its AVX-512 kernels on some CPUs, and no error. A stride-2 3x3 convolution from 48 to 96 channels
 * on a 12x12 map (RepVGG-A0 at 48x48 input) returned an input gradient off by 10-20% of its largest
 * value, so stages 0 and 1 trained on wrong gradients; with oneDNN limited to AVX2
 * ({@code ONEDNN_MAX_CPU_ISA=AVX2}) the same convolution was right, and so was PyTorch 1.13
 * (docs/BENCHMARKS.md, "Wrong convolutions", names the CPUs). Training therefore computes stride-2
 * layers from their input's phases ({@link StrideTwoPhases}, chosen by {@link TrainingConvolutions}),
 * and this check checks what training runs. The launcher runs this check once per machine and sets
 * that limit where the default is wrong; {@code train} and {@code bench} then check their own
 * network, size and batch sizes with the default kernels and use them where they are right (cli's
 * IsaChoice, {@link OneDnnIsa}). The kernels oneDNN picks, and so the verdict, depend on the batch
 * size.
 */
public final class ConvolutionCheck {

    /** Relative error (largest absolute difference over the largest reference value) above which a result is wrong. */
    public static final double TOLERANCE = 1e-3;

    /**
     * How training computes its convolutions, as far as this check's verdicts depend on it; part of
     * the key of cached verdicts ({@link ConvolutionVerdicts}). "phases": stride-2 layers from their
     * input's 2x2 phases (StrideTwoPhases).
     */
    public static final String METHOD = "phases";

    /**
     * The method part of the key of cached channels-last verdicts ({@link #checkChannelsLast}):
     * every convolution after the stem on channels-last input, stride-2 ones strided.
     */
    public static final String CHANNELS_LAST_METHOD = "channels-last";

    private ConvolutionCheck() {}

    /** One convolution: NCHW input {@code batch x in x size x size}, square kernel, padding {@code kernel / 2}. */
    public record Problem(int batch, int inChannels, int outChannels, int kernel, int stride, int size, int groups) {

        public Problem {
            if (batch < 1 || size < 1 || kernel < 1 || stride < 1 || groups < 1
                    || inChannels % groups != 0 || outChannels % groups != 0) {
                throw new IllegalArgumentException("not a convolution: " + describe(batch, inChannels, outChannels,
                        kernel, stride, size, groups));
            }
        }

        public int outputSize() {
            return (size + 2 * (kernel / 2) - kernel) / stride + 1;
        }

        public String describe() {
            return describe(batch, inChannels, outChannels, kernel, stride, size, groups);
        }

        private static String describe(int n, int in, int out, int k, int s, int size, int g) {
            return String.format("%dx%d %d->%d ch, stride %d, %dx%d map, batch %d%s",
                    k, k, in, out, s, size, size, n, g > 1 ? ", " + g + " groups" : "");
        }
    }

    /**
     * Relative errors of float32 against float64: the output, the input's gradient and the
     * weight's gradient for a random upstream gradient.
     */
    public record Result(Problem problem, double output, double inputGradient, double weightGradient) {

        public double worst() {
            return Math.max(output, Math.max(inputGradient, weightGradient));
        }

        /** Wrong when any of the three is above the tolerance, or not a number. */
        public boolean wrong() {
            return !(worst() <= TOLERANCE);
        }

        /** {@link #wrong()}, or for a forward pass alone (inference), whether the output is wrong. */
        public boolean wrong(boolean gradients) {
            return gradients ? wrong() : !(output <= TOLERANCE);
        }

        /** Which of the three are wrong, e.g. "input gradient". */
        public String wrongParts() {
            List<String> parts = new ArrayList<>();
            if (!(output <= TOLERANCE)) {
                parts.add("output");
            }
            if (!(inputGradient <= TOLERANCE)) {
                parts.add("input gradient");
            }
            if (!(weightGradient <= TOLERANCE)) {
                parts.add("weight gradient");
            }
            return String.join(", ", parts);
        }
    }

    /**
     * The distinct convolutions of a network's train form at an input size: per block its 3x3 and
     * 1x1 branch (same channels, stride and groups) at the block's input size.
     */
    public static List<Problem> problemsOf(RepVggSpec spec, int imageSize, int batch) {
        return problemsOf(spec, imageSize, batch, block -> true);
    }

    /** {@link #problemsOf} for the blocks {@code which} accepts. */
    private static List<Problem> problemsOf(RepVggSpec spec, int imageSize, int batch, Predicate<BlockPlan> which) {
        Set<Problem> problems = new LinkedHashSet<>();
        int size = imageSize;
        for (BlockPlan block : spec.blocks()) {
            if (which.test(block)) {
                for (int kernel : new int[] {3, 1}) {
                    problems.add(new Problem(batch, block.inChannels(), block.outChannels(), kernel, block.stride(),
                            size, block.groups()));
                }
            }
            size = block.outputSize(size);
        }
        return new ArrayList<>(problems);
    }

    /**
     * The stride-2 convolutions that training could run strided, if they are right: per block after
     * the stem its 3x3 and 1x1 branch at the block's input size.
     */
    public static List<Problem> stridedProblemsOf(RepVggSpec spec, int imageSize, int batch) {
        return problemsOf(spec, imageSize, batch, block -> block.stride() == 2 && block.layer() > 0);
    }

    /**
     * The convolutions a channels-last training run computes in that layout: per block after the
     * stem its 3x3 and 1x1 branch at the block's input size ({@link TrainingConvolutions}).
     */
    public static List<Problem> channelsLastProblemsOf(RepVggSpec spec, int imageSize, int batch) {
        return problemsOf(spec, imageSize, batch, block -> block.layer() > 0);
    }

    /**
     * Checks each problem on channels-last input ({@link #checkChannelsLast}), handing each result
     * to {@code done} as soon as it is known. Run it in a process of its own: on some machines
     * oneDNN's channels-last kernels corrupt the heap.
     */
    public static void runChannelsLast(List<Problem> problems, long seed, Consumer<Result> done) {
        runEach(problems, seed, ConvolutionCheck::checkChannelsLast, done);
    }

    private interface Check {
        Result run(NDManager manager, Problem p, long seed);
    }

    /** Each problem checked in a scope of its own, its result handed on at once. */
    private static void runEach(List<Problem> problems, long seed, Check check, Consumer<Result> done) {
        try (NDManager manager = NDManager.newBaseManager()) {
            for (Problem problem : problems) {
                try (NDManager scope = manager.newSubManager()) {
                    done.accept(check.run(scope, problem, seed));
                }
            }
        }
    }

    /**
     * One problem as channels-last training runs it: the engine's convolution (strided for stride
     * 2) of a channels-last input, with a channels-last upstream gradient, output and both
     * gradients against float64.
     */
    public static Result checkChannelsLast(NDManager manager, Problem p, long seed) {
        Data d = Data.of(manager, p, seed);
        NDArray[] single = forwardBackward(p, TrainingConvolutions.toChannelsLast(d.x()), d.w(),
                TrainingConvolutions.toChannelsLast(d.upstream()), true, ConvolutionCheck::engineConvolution);
        return d.against(single);
    }

    /**
     * A float32 convolution under test: from an NCHW input, an OIHW weight and an upstream gradient (flat),
     * its output, input gradient and weight gradient, in the same layouts.
     */
    public interface Float32Convolution {
        float[][] run(Problem p, float[] input, float[] weight, float[] upstream);
    }

    /** One problem computed by {@code engine} (another library's convolution), against float64 on the same random data. */
    public static Result check(NDManager manager, Problem p, long seed, Float32Convolution engine) {
        try (NDManager scope = manager.newSubManager()) {
            Data data = Data.of(scope, p, seed);
            float[][] single = engine.run(p, data.x().toFloatArray(), data.w().toFloatArray(), data.upstream().toFloatArray());
            return data.against(new NDArray[] {
                scope.create(single[0], data.upstream().getShape()),
                scope.create(single[1], data.x().getShape()),
                scope.create(single[2], data.w().getShape())});
        }
    }

    /** A problem's random float32 input, weight and upstream gradient, and the float64 reference of its three results. */
    private record Data(Problem p, NDArray x, NDArray w, NDArray upstream, NDArray[] reference) {

        static Data of(NDManager manager, Problem p, long seed) {
            Random random = new Random(seed);
            NDArray x = gaussian(manager, random, p.batch(), p.inChannels(), p.size(), p.size());
            NDArray w = gaussian(manager, random, p.outChannels(), p.inChannels() / p.groups(), p.kernel(), p.kernel());
            NDArray upstream = gaussian(manager, random, p.batch(), p.outChannels(), p.outputSize(), p.outputSize());
            NDArray[] reference = forwardBackward(p, x.toType(DataType.FLOAT64, true), w.toType(DataType.FLOAT64, true),
                    upstream.toType(DataType.FLOAT64, true), true, ConvolutionCheck::shiftedProducts);
            return new Data(p, x, w, upstream, reference);
        }

        /** Output, input gradient and weight gradient of one float32 computation against the reference. */
        Result against(NDArray[] single) {
            return new Result(p, relativeError(single[0], reference[0]), relativeError(single[1], reference[1]),
                    relativeError(single[2], reference[2]));
        }
    }

    /**
     * Checks each problem as a strided convolution with its input gradient ({@link #checkStrided}),
     * handing each result to {@code done} as soon as it is known. Run it in a process of its own:
     * for some shapes oneDNN's strided input gradient kills the process (see {@link #check}).
     */
    public static void runStrided(List<Problem> problems, long seed, Consumer<Result> done) {
        runEach(problems, seed, ConvolutionCheck::checkStrided, done);
    }

    /** One problem as the engine's strided convolution, output and both gradients, against float64. */
    public static Result checkStrided(NDManager manager, Problem p, long seed) {
        return check(manager, p, seed, false);
    }

    /** The problem as {@link TrainingConvolutions} names a stride-2 convolution. */
    public static TrainingConvolutions.StridedConvolution strided(Problem p) {
        if (p.stride() != 2) {
            throw new IllegalArgumentException("not a stride-2 convolution: " + p.describe());
        }
        return new TrainingConvolutions.StridedConvolution(p.batch(), p.inChannels(), p.outChannels(), p.kernel(), p.size(),
                p.groups());
    }

    /**
     * Convolutions this check has seen go wrong on a machine, at sizes small enough to check in a
     * second: the launcher's probe of whether oneDNN's default instruction set can be trusted.
     */
    public static List<Problem> knownTroublemakers() {
        return List.of(
                // A0 at 48x48, stage 2's first block: oneDNN's strided input gradient is wrong; its
                // phases' (what training runs) are right.
                new Problem(2, 48, 96, 3, 2, 12, 1),
                new Problem(2, 48, 96, 3, 2, 14, 1),
                new Problem(2, 48, 48, 3, 2, 28, 1),
                new Problem(3, 24, 24, 3, 1, 7, 1), // channels not a multiple of 16: output
                new Problem(3, 40, 40, 3, 1, 7, 1),
                new Problem(3, 80, 160, 3, 2, 12, 1)); // strided input gradient wrong under AVX2 as well
    }

    public static List<Result> run(List<Problem> problems, long seed) {
        List<Result> results = new ArrayList<>(problems.size());
        runEach(problems, seed, ConvolutionCheck::check, results::add);
        return results;
    }

    /** Runs one problem in float32 and float64 on the same random data. */
    public static Result check(NDManager manager, Problem p, long seed) {
        return check(manager, p, seed, phased(p));
    }

    /** {@code fromPhases}: as training runs a stride-2 layer from its phases; otherwise the engine's convolution alone. */
    private static Result check(NDManager manager, Problem p, long seed, boolean fromPhases) {
        Data d = Data.of(manager, p, seed);
        NDArray x = d.x();
        NDArray w = d.w();
        NDArray upstream = d.upstream();
        NDArray[] reference = d.reference();
        if (!fromPhases) {
            return d.against(forwardBackward(p, x, w, upstream, true, ConvolutionCheck::engineConvolution));
        }
        // Training computes a stride-2 layer from its input's four phases (StrideTwoPhases), and its
        // input gradient never from the strided convolution; the stem, whose input needs no
        // gradient, and inference run the strided one. So: both outputs and weight gradients, and
        // the phases' input gradient. (oneDNN's strided input gradient is not even asked for: for
        // some layers, 1x1 from 512 to 2048 channels on a 4x4 map, it has killed the process with
        // the default AVX-512 kernels.)
        NDArray[] strided = forwardBackward(p, x, w, upstream, false, ConvolutionCheck::engineConvolution);
        NDArray[] phases = forwardBackward(p, x, w, upstream, true,
                (q, a, b) -> StrideTwoPhases.convolve(a, b, q.groups()));
        double output = Math.max(relativeError(strided[0], reference[0]), relativeError(phases[0], reference[0]));
        double inputGradient = relativeError(phases[1], reference[1]);
        double weightGradient = Math.max(relativeError(strided[2], reference[2]),
                relativeError(phases[2], reference[2]));
        return new Result(p, output, inputGradient, weightGradient);
    }

    /**
     * Whether training may compute this convolution from the input's phases (StrideTwoPhases): every
     * stride-2 3x3 and 1x1 convolution, unless it was checked right strided (TrainingConvolutions).
     */
    static boolean phased(Problem p) {
        return (p.kernel() == 3 || p.kernel() == 1) && p.stride() == 2;
    }

    /** Output, input gradient and weight gradient of {@code sum(conv(x, w) * upstream)}. */
    private static NDArray[] forwardBackward(Problem p, NDArray input, NDArray weight, NDArray upstream,
            boolean inputGradient, Convolution convolution) {
        NDArray x = input.duplicate();
        NDArray w = weight.duplicate();
        x.setRequiresGradient(inputGradient);
        w.setRequiresGradient(true);
        NDArray y;
        try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            y = convolution.apply(p, x, w);
            collector.backward(y.mul(upstream).sum());
        }
        return new NDArray[] {y, inputGradient ? x.getGradient() : null, w.getGradient()};
    }

    private interface Convolution {
        NDArray apply(Problem p, NDArray x, NDArray w);
    }

    /** The engine's convolution, as every layer of the network calls it. */
    private static NDArray engineConvolution(Problem p, NDArray x, NDArray w) {
        int pad = p.kernel() / 2;
        return Conv2d.conv2d(x, w, null, new Shape(p.stride(), p.stride()), new Shape(pad, pad), new Shape(1, 1),
                p.groups()).singletonOrThrow();
    }

    /**
     * The reference: the convolution as a sum over kernel positions of matrix products with the
     * shifted, strided input, so that neither oneDNN nor libtorch's convolution code is involved.
     */
    static NDArray shiftedProducts(Problem p, NDArray x, NDArray w) {
        int pad = p.kernel() / 2;
        int out = p.outputSize();
        int span = p.stride() * (out - 1) + 1;
        int inPerGroup = p.inChannels() / p.groups();
        int outPerGroup = p.outChannels() / p.groups();
        NDArray padded = pad == 0 ? x : x.pad(new Shape(pad, pad, pad, pad), 0);
        List<NDArray> groups = new ArrayList<>(p.groups());
        for (int g = 0; g < p.groups(); g++) {
            NDArray sum = null;
            for (int i = 0; i < p.kernel(); i++) {
                for (int j = 0; j < p.kernel(); j++) {
                    NDArray window = padded.get(String.format(":, %d:%d, %d:%d:%d, %d:%d:%d", g * inPerGroup,
                            (g + 1) * inPerGroup, i, i + span, p.stride(), j, j + span, p.stride()))
                            .reshape(p.batch(), inPerGroup, (long) out * out);
                    NDArray tap = w.get(String.format("%d:%d, :, %d, %d", g * outPerGroup, (g + 1) * outPerGroup, i, j));
                    NDArray product = tap.matMul(window);
                    sum = sum == null ? product : sum.add(product);
                }
            }
            groups.add(sum);
        }
        NDArray y = groups.size() == 1 ? groups.get(0) : NDArrays.concat(new NDList(groups), 1);
        return y.reshape(p.batch(), p.outChannels(), out, out);
    }

    private static double relativeError(NDArray single, NDArray reference) {
        NDArray diff = single.toType(DataType.FLOAT64, false).sub(reference).abs();
        double scale = reference.abs().max().getDouble();
        return diff.max().getDouble() / Math.max(scale, Double.MIN_NORMAL);
    }

    private static NDArray gaussian(NDManager manager, Random random, long... shape) {
        float[] values = new float[Math.toIntExact(new Shape(shape).size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return manager.create(values, new Shape(shape));
    }
}
