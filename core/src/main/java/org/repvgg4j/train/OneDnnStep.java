package org.repvgg4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.repvgg4j.infer.onednn.Dnnl;
import org.repvgg4j.platform.ConvolutionCheck;
import org.repvgg4j.platform.ConvolutionVerdicts;
import org.repvgg4j.train.onednn.OneDnnTraining;

/**
 * Training steps on the oneDNN graph for a run that {@link TrainingRun} otherwise steps with libtorch.
 * The DJL network stays the run's network: the graph starts from its weights and momentum buffers and
 * gives them back at the end of every epoch ({@link #writeBack}), before evaluation and checkpoints.
 *
 * <p>Before the graph is used, every distinct convolution of the run (each block's 3x3 and 1x1 at its
 * input size and the run's batch size) goes through the graph's own primitives and through float64
 * on the same random data ({@link ConvolutionCheck}): output, input gradient and weight gradient. Where
 * one is wrong the run says which and trains with libtorch. The verdict is kept per machine and
 * workload ({@link ConvolutionVerdicts}, method {@link #CHECK_METHOD}), as libtorch's own is.
 */
final class OneDnnStep implements AutoCloseable {

    /** The cache key's method part for verdicts on the graph's convolutions. */
    static final String CHECK_METHOD = "onednn-training-graph";

    private final OneDnnTraining graph;
    private final TrainSettings settings;
    private final Optimisation optimisation;
    private final LearningRateSchedule schedule;
    private final int classes;

    private OneDnnStep(OneDnnTraining graph, TrainSettings settings, Optimisation optimisation,
            LearningRateSchedule schedule, int classes) {
        this.graph = graph;
        this.settings = settings;
        this.optimisation = optimisation;
        this.schedule = schedule;
        this.classes = classes;
    }

    /** Why a run with {@code settings} needs libtorch's steps, or null when the graph can take them. */
    static String unsupported(TrainSettings settings) {
        List<String> why = new ArrayList<>();
        String graph = OneDnnTraining.unsupported(settings.spec());
        if (graph != null) {
            why.add(graph);
        }
        if (settings.emaDecay() > 0) {
            why.add("--ema");
        }
        if (settings.customL2()) {
            why.add("--custom-l2");
        }
        if (settings.frozenStages() >= 0) {
            why.add("--freeze-through");
        }
        return why.isEmpty() ? null : String.join(", ", why);
    }

    /**
     * Whether this run's steps go to the graph: {@code engine} asks for it (or leaves it to us), the
     * run's options allow it and the graph computes the run's convolutions right on this CPU. With
     * {@code --engine onednn} a run it cannot take is an error; with {@code auto} it says why libtorch trains.
     */
    static boolean chosen(TrainingEngine engine, TrainSettings settings, NDManager manager, Consumer<String> messages) {
        if (engine == TrainingEngine.PYTORCH) {
            return false;
        }
        String why = unsupported(settings);
        if (why == null) {
            why = wrongConvolutions(settings, manager, messages);
        }
        if (why == null) {
            return true;
        }
        if (engine == TrainingEngine.ONEDNN) {
            throw new IllegalArgumentException("--engine onednn cannot train this run: " + why + "; use --engine pytorch");
        }
        messages.accept("training steps: libtorch (oneDNN's graph: " + why + ")");
        return false;
    }

    /** The graph for this run, with the DJL network's weights and momentum buffers. */
    static OneDnnStep open(TrainSettings settings, int classes, Optimisation optimisation, LearningRateSchedule schedule,
            Consumer<String> messages) {
        int threads = Integer.getInteger("ai.djl.pytorch.num_threads", Runtime.getRuntime().availableProcessors());
        OneDnnTraining graph = OneDnnTraining.build(settings.spec(), classes, settings.batchSize(), settings.imageSize(),
                threads);
        try {
            OneDnnStep step = new OneDnnStep(graph, settings, optimisation, schedule, classes);
            step.readFromNetwork();
            messages.accept("training steps: oneDNN (one graph, its convolutions checked against float64)");
            return step;
        } catch (RuntimeException e) {
            graph.close();
            throw e;
        }
    }

    /** Null when the graph computes every convolution of the run right here, else what is wrong. */
    private static String wrongConvolutions(TrainSettings settings, NDManager manager, Consumer<String> messages) {
        ConvolutionVerdicts.Workload workload = new ConvolutionVerdicts.Workload(settings.spec(), settings.imageSize(),
                new TreeSet<>(List.of(settings.batchSize())), true, null);
        Path cache = ConvolutionVerdicts.directory();
        Optional<Boolean> known = ConvolutionVerdicts.read(cache, workload, "onednn-" + Dnnl.isa(), CHECK_METHOD);
        if (known.isPresent()) {
            return known.get() ? null : "a convolution it computes wrong on this CPU (checked before)";
        }
        List<ConvolutionCheck.Problem> problems = workload.problems();
        messages.accept("checking once the " + problems.size() + " convolutions of the oneDNN training graph against "
                + "float64 (" + workload.describe() + "; the answer is cached) ...");
        List<String> wrong = new ArrayList<>();
        for (ConvolutionCheck.Problem p : problems) {
            ConvolutionCheck.Result r = ConvolutionCheck.check(manager, p, 1, OneDnnTraining::convolve);
            if (r.wrong()) {
                wrong.add(p.describe() + ": " + r.wrongParts() + String.format(Locale.ROOT, " (%.3g)", r.worst()));
            }
        }
        ConvolutionVerdicts.write(cache, workload, "onednn-" + Dnnl.isa(), CHECK_METHOD, wrong.isEmpty());
        return wrong.isEmpty() ? null : wrong.size() + " of " + problems.size() + " convolutions wrong on this CPU: "
                + String.join("; ", wrong.subList(0, Math.min(3, wrong.size()))) + (wrong.size() > 3 ? "; ..." : "");
    }

    private void readFromNetwork() {
        Map<String, float[]> weights = new HashMap<>();
        Map<String, float[]> velocity = new HashMap<>();
        optimisation.byKey().forEach((key, p) -> {
            weights.put(key, p.getArray().toFloatArray());
            NDArray v = optimisation.sgd().velocity().get(p.getId());
            if (v != null) {
                velocity.put(key, v.toFloatArray());
            }
        });
        graph.load(weights);
        graph.loadVelocity(velocity);
    }

    /**
     * One step: forward, loss and backward on the graph, then its update. A batch of another size (an
     * unreadable image was skipped from it) is {@code libtorch}'s, between two copies of the weights
     * and momentum buffers across: the graph is built for one batch size, and padding the batch would
     * change its batch-norm statistics.
     */
    TrainingStep.Outcome run(TrainingStep libtorch, NDList images, NDList targets, long step) {
        if (images.singletonOrThrow().getShape().get(0) != graph.batch()) {
            writeBack();
            TrainingStep.Outcome outcome = libtorch.run(images, targets, step);
            readFromNetwork();
            return outcome;
        }
        double lr = schedule.at(step);
        OneDnnTraining.Outcome outcome = graph.forwardBackward(images.singletonOrThrow().toFloatArray(),
                targets(targets.singletonOrThrow()), (float) settings.labelSmoothing());
        graph.update(lr, (float) settings.momentum(), (float) settings.weightDecay());
        return new TrainingStep.Outcome(lr, outcome.loss(), outcome.predicted());
    }

    /** Class indices become one-hot rows; a mixed batch's class probabilities are taken as they are. */
    private float[] targets(NDArray labels) {
        if (labels.getShape().dimension() == 2) {
            return labels.toType(DataType.FLOAT32, false).toFloatArray();
        }
        return OneDnnTraining.oneHot(labels.toType(DataType.INT64, false).toLongArray(), classes);
    }

    /** The graph's weights, BN running statistics and momentum buffers into the DJL network and optimizer. */
    void writeBack() {
        Map<String, Parameter> byKey = optimisation.byKey();
        graph.weights().forEach((key, values) -> byKey.get(key).getArray().set(FloatBuffer.wrap(values)));
        graph.velocity().forEach((key, values) -> {
            Parameter p = byKey.get(key);
            optimisation.sgd().restoreVelocity(p.getId(), p.getArray(), values);
        });
    }

    @Override
    public void close() {
        graph.close();
    }
}
