package org.repvgg4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.repvgg4j.train.onednn.OneDnnTraining;

/**
 * Training steps on the oneDNN graph for a run that {@link TrainingRun} otherwise steps with libtorch.
 * The DJL network stays the run's network: the graph starts from its weights and momentum buffers and
 * gives them back at the end of every epoch ({@link #writeBack}), before evaluation and checkpoints.
 *
 * <p>The first step is taken by both: libtorch's forward and backward pass (with this machine's
 * checked convolutions) and the graph's, on the same batch from the same weights. Where the losses differ
 * by more than {@link #LOSS_AGREEMENT} or any gradient by more than {@link #GRADIENT_AGREEMENT} (both
 * relative; a gradient's as the norm of the difference over the norm of libtorch's), the run says so and
 * goes on with libtorch, whose step is then completed; nothing of the graph's is kept.
 *
 * <p>The bounds leave room for float32 rounding and catch wrong arithmetic. At RepVGG-A0's random
 * start (batch 64, 32x32) PyTorch's own float32 gradients differed from its float64 ones by up to
 * 0.6% in that norm (2.8% of a tensor's largest value), since a gradient through 22 layers of batch
 * norm is a small sum of large terms; a wrong convolution is off by tens of percent or more.
 */
final class OneDnnStep implements AutoCloseable {

    static final double LOSS_AGREEMENT = 1e-3;
    static final double GRADIENT_AGREEMENT = 0.05;

    private final OneDnnTraining graph;
    private final TrainSettings settings;
    private final Optimisation optimisation;
    private final LearningRateSchedule schedule;
    private final int classes;
    private final Consumer<String> messages;
    private boolean checked;
    private boolean failed;

    private OneDnnStep(OneDnnTraining graph, TrainSettings settings, Optimisation optimisation,
            LearningRateSchedule schedule, int classes, Consumer<String> messages) {
        this.graph = graph;
        this.settings = settings;
        this.optimisation = optimisation;
        this.schedule = schedule;
        this.classes = classes;
        this.messages = messages;
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

    /** The graph for this run when {@code engine} asks for it and the run allows it; else null (libtorch). */
    static OneDnnStep open(TrainingEngine engine, TrainSettings settings, int classes, Optimisation optimisation,
            LearningRateSchedule schedule, Consumer<String> messages) {
        if (engine == TrainingEngine.PYTORCH) {
            return null;
        }
        String why = unsupported(settings);
        if (why != null) {
            if (engine == TrainingEngine.ONEDNN) {
                throw new IllegalArgumentException("--engine onednn does not train with " + why + "; use --engine pytorch");
            }
            messages.accept("training steps: libtorch (oneDNN's graph does not take " + why + ")");
            return null;
        }
        int threads = Integer.getInteger("ai.djl.pytorch.num_threads", Runtime.getRuntime().availableProcessors());
        OneDnnTraining graph = OneDnnTraining.build(settings.spec(), classes, settings.batchSize(), settings.imageSize(),
                threads);
        try {
            OneDnnStep step = new OneDnnStep(graph, settings, optimisation, schedule, classes, messages);
            step.readFromNetwork();
            return step;
        } catch (RuntimeException e) {
            graph.close();
            throw e;
        }
    }

    private void readFromNetwork() {
        Map<String, Parameter> byKey = optimisation.byKey();
        Map<String, float[]> weights = new java.util.HashMap<>();
        Map<String, float[]> velocity = new java.util.HashMap<>();
        byKey.forEach((key, p) -> {
            weights.put(key, p.getArray().toFloatArray());
            NDArray v = optimisation.sgd().velocity().get(p.getId());
            if (v != null) {
                velocity.put(key, v.toFloatArray());
            }
        });
        graph.load(weights);
        graph.loadVelocity(velocity);
    }

    /** Whether the steps go to the graph (false once the first step's check has sent them back to libtorch). */
    boolean active() {
        return !failed;
    }

    /** One step on the graph; the first also on libtorch, to check the two agree. */
    TrainingStep.Outcome run(TrainingStep libtorch, NDList images, NDList targets, long step) {
        if (failed) {
            return libtorch.run(images, targets, step);
        }
        float[] x = images.singletonOrThrow().toFloatArray();
        float[] y = targets(targets.singletonOrThrow());
        double lr = schedule.at(step);
        TrainingStep.Outcome reference = checked ? null : libtorch.forwardBackward(images, targets, step);
        OneDnnTraining.Outcome ours = graph.forwardBackward(x, y, (float) settings.labelSmoothing());
        if (reference != null) {
            String disagreement = disagreement(reference, ours);
            checked = true;
            if (disagreement != null) {
                failed = true;
                messages.accept("training steps: libtorch; oneDNN's first step disagreed with it (" + disagreement + ")");
                libtorch.update();
                return reference;
            }
            zeroLibtorchGradients();
            messages.accept("training steps: oneDNN (its first step agreed with libtorch's)");
        }
        graph.update(lr, (float) settings.momentum(), (float) settings.weightDecay());
        return new TrainingStep.Outcome(lr, ours.loss(), ours.predicted());
    }

    /** Class indices become one-hot rows; a mixed batch's class probabilities are taken as they are. */
    private float[] targets(NDArray labels) {
        if (labels.getShape().dimension() == 2) {
            return labels.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        }
        long[] indices = labels.toType(ai.djl.ndarray.types.DataType.INT64, false).toLongArray();
        float[] rows = new float[indices.length * classes];
        for (int i = 0; i < indices.length; i++) {
            rows[i * classes + (int) indices[i]] = 1f;
        }
        return rows;
    }

    private String disagreement(TrainingStep.Outcome reference, OneDnnTraining.Outcome ours) {
        double lossDiff = Math.abs(reference.loss() - ours.loss()) / Math.max(1e-12, Math.abs(reference.loss()));
        if (!(lossDiff <= LOSS_AGREEMENT)) {
            return "loss " + ours.loss() + " against " + reference.loss();
        }
        Map<String, float[]> gradients = graph.gradients();
        List<String> off = new ArrayList<>();
        for (Map.Entry<String, float[]> e : gradients.entrySet()) {
            NDArray weight = optimisation.byKey().get(e.getKey()).getArray();
            float[] expected;
            try (NDArray theirs = weight.hasGradient() ? JniUtils.getGradient((PtNDArray) weight) : null) {
                if (theirs == null) {
                    off.add(e.getKey() + " (libtorch has none)");
                    continue;
                }
                expected = theirs.toFloatArray();
            }
            double norm = 0;
            double diff = 0;
            for (int i = 0; i < expected.length; i++) {
                double d = expected[i] - e.getValue()[i];
                norm += (double) expected[i] * expected[i];
                diff += d * d;
            }
            if (!(Math.sqrt(diff) <= GRADIENT_AGREEMENT * Math.sqrt(norm))) {
                off.add(e.getKey() + " off by " + String.format(java.util.Locale.ROOT, "%.3g", Math.sqrt(diff / norm))
                        + " of its norm");
            }
        }
        if (!off.isEmpty()) {
            return off.size() + " of " + gradients.size() + " gradients: " + String.join(", ", off.subList(0, Math.min(4, off.size())))
                    + (off.size() > 4 ? ", ..." : "");
        }
        return null;
    }

    private void zeroLibtorchGradients() {
        for (Parameter p : optimisation.byKey().values()) {
            if (p.requiresGradient() && p.getArray().hasGradient()) {
                JniUtils.zeroGrad((PtNDArray) p.getArray());
            }
        }
    }

    /** The graph's weights, BN running statistics and momentum buffers into the DJL network and optimizer. */
    void writeBack() {
        if (failed) {
            return;
        }
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
