package org.repvgg4j.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.repvgg4j.model.Complexity;
import org.repvgg4j.model.ConvolutionStrategy;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.reparam.EquivalenceCheck;
import org.repvgg4j.train.LabelSmoothingLoss;
import org.repvgg4j.train.NesterovSgd;
import org.repvgg4j.train.onednn.OneDnnTraining;

/**
 * Times full training steps (forward, loss, backward, optimizer update) of the train form on a
 * fixed random batch, the same work {@code TrainingRun} does per batch minus data loading. The
 * PyTorch side of the comparison is {@code tools/compare_training_speed.py}.
 */
public final class TrainStepBench {

    private TrainStepBench() {}

    /**
     * Called around every step, warm-up included: lets another program take turns with this one, so
     * that both are timed through the same moments of a shared machine's load.
     */
    public interface Pacer {
        Pacer NONE = new Pacer() {
            @Override
            public void before(int step) {}

            @Override
            public void after(int step, double millis) {}
        };

        /** Blocks until step {@code step} (0-based, warm-up first) may start. */
        void before(int step) throws IOException;

        void after(int step, double millis) throws IOException;

        /**
         * This pacer, and libtorch's operator profiler over the timed steps: started before step
         * {@code warmup}, stopped after step {@code warmup + iterations - 1}, written to {@code trace}
         * as a Chrome trace (one event per operator call, with its input shapes). The profiler's own
         * cost is in those steps' times.
         */
        default Pacer profiling(int warmup, int iterations, Path trace) {
            Pacer inner = this;
            return new Pacer() {
                @Override
                public void before(int step) throws IOException {
                    inner.before(step);
                    if (step == warmup) {
                        JniUtils.startProfile(false, true, false);
                    }
                }

                @Override
                public void after(int step, double millis) throws IOException {
                    if (step == warmup + iterations - 1) {
                        JniUtils.stopProfile(trace.toAbsolutePath().toString());
                    }
                    inner.after(step, millis);
                }
            };
        }
    }

    /** Where a step's time went: median milliseconds of the forward pass with the loss, the backward pass, and the update. */
    public record Phases(double forwardMs, double backwardMs, double updateMs) {}

    /**
     * Times training steps of the train form; {@code frozenStages} freezes the stem and stages up to
     * it as {@code train --freeze-through} does (-1: nothing frozen).
     */
    public static Measurement run(RepVggSpec spec, int numClasses, int batch, int inputSize, int frozenStages, int warmup,
            int iterations, Pacer pacer, ConvolutionStrategy convolutions) throws IOException {
        return run(spec, numClasses, batch, inputSize, frozenStages, warmup, iterations, pacer, convolutions, phases -> { });
    }

    /** As {@link #run(RepVggSpec, int, int, int, int, int, int, Pacer, ConvolutionStrategy)}, and hands over the timed steps' {@link Phases}. */
    public static Measurement run(RepVggSpec spec, int numClasses, int batch, int inputSize, int frozenStages, int warmup,
            int iterations, Pacer pacer, ConvolutionStrategy convolutions, Consumer<Phases> phases) throws IOException {
        List<Double> millis = new ArrayList<>(iterations);
        List<Double> forwardMs = new ArrayList<>(iterations);
        List<Double> backwardMs = new ArrayList<>(iterations);
        List<Double> updateMs = new ArrayList<>(iterations);
        RepVgg net = new RepVgg(spec, Form.TRAIN, numClasses, convolutions);
        try (Model model = Model.newInstance("bench", Device.cpu())) {
            model.setBlock(net);
            net.initialize(model.getNDManager(), inputSize);
            Collection<Parameter> parameters = net.stateDict().values();
            NesterovSgd sgd = new NesterovSgd(0.9f, 1e-4f, NesterovSgd.biasAndNormIds(net.stateDict()));
            sgd.setLearningRate(0.01);
            DefaultTrainingConfig config = new DefaultTrainingConfig(new LabelSmoothingLoss(0.1f))
                    .optOptimizer(sgd).optDevices(new Device[] {Device.cpu()});
            try (Trainer trainer = model.newTrainer(config);
                    NDManager data = model.getNDManager().newSubManager()) {
                trainer.initialize(new Shape(batch, 3, inputSize, inputSize));
                net.freezeThrough(frozenStages);
                NDArray x = EquivalenceCheck.randomInput(data, batch, inputSize, 0);
                int[] labels = new Random(0).ints(batch, 0, numClasses).toArray();
                NDArray y = data.create(labels);
                for (int i = 0; i < warmup + iterations; i++) {
                    pacer.before(i);
                    long start = System.nanoTime();
                    try (NDManager step = data.newSubManager()) {
                        // Each step's batch lives in the step's manager, as a training batch does.
                        NDArray xs = x.duplicate();
                        xs.attach(step);
                        NDArray ys = y.duplicate();
                        ys.attach(step);
                        long forwarded;
                        long backwarded;
                        // libtorch runs each CPU operation to its end before returning, so these clocks split the step.
                        try (GradientCollector collector = trainer.newGradientCollector()) {
                            NDList predictions = trainer.forward(new NDList(xs), new NDList(ys));
                            NDArray loss = trainer.getLoss().evaluate(new NDList(ys), predictions);
                            forwarded = System.nanoTime();
                            collector.backward(loss);
                            loss.getFloat();
                            backwarded = System.nanoTime();
                        }
                        sgd.step(parameters); // as TrainingRun updates
                        if (i >= warmup) {
                            forwardMs.add((forwarded - start) / 1e6);
                            backwardMs.add((backwarded - forwarded) / 1e6);
                            updateMs.add((System.nanoTime() - backwarded) / 1e6);
                        }
                    }
                    long elapsed = System.nanoTime() - start;
                    pacer.after(i, elapsed / 1e6);
                    if (i >= warmup) {
                        millis.add(elapsed / 1e6);
                    }
                }
            }
        }
        phases.accept(new Phases(Medians.of(forwardMs), Medians.of(backwardMs), Medians.of(updateMs)));
        Complexity complexity = Complexity.of(spec, Form.TRAIN, numClasses, inputSize);
        long frozenMacs = complexity.stages().stream().filter(s -> s.stage() <= frozenStages)
                .mapToLong(Complexity.StageRow::macs).sum();
        long macs = complexity.macs() - 2 * frozenMacs / 3;
        // A training step costs about three forward passes (forward, and two for backward); a
        // frozen stage only its forward pass.
        String form = frozenStages < 0 ? "train-step" : "train-step, stage0-" + frozenStages + " frozen";
        return new Measurement("RepVGG-" + spec.name(), form, ForwardBench.ENGINE, batch,
                JniUtils.getNumThreads(), inputSize, Complexity.of(spec, Form.TRAIN, numClasses, inputSize).params(),
                3 * macs, millis);
    }

    /**
     * Times training steps of the train form on the oneDNN graph {@code repvgg train} runs by default
     * ({@link OneDnnTraining}: forward, label-smoothed loss, backward and Nesterov SGD), from a fresh
     * network's weights, on the same kind of fixed random batch as {@link #run}. The phases hand over
     * forward and backward together (one oneDNN pass) as {@code forwardMs}, with {@code backwardMs} 0.
     */
    public static Measurement runOnOneDnn(RepVggSpec spec, int numClasses, int batch, int inputSize, int warmup,
            int iterations, int threads, Pacer pacer, Consumer<Phases> phases) throws IOException {
        List<Double> millis = new ArrayList<>(iterations);
        List<Double> passMs = new ArrayList<>(iterations);
        List<Double> updateMs = new ArrayList<>(iterations);
        Map<String, float[]> weights = new HashMap<>();
        float[] images;
        try (NDManager manager = NDManager.newBaseManager()) {
            RepVgg net = new RepVgg(spec, Form.TRAIN, numClasses);
            net.initialize(manager, inputSize);
            net.stateDict().forEach((key, p) -> weights.put(key, p.getArray().toFloatArray()));
            images = EquivalenceCheck.randomInput(manager, batch, inputSize, 0).toFloatArray();
        }
        float[] targets = OneDnnTraining.oneHot(new Random(0).ints(batch, 0, numClasses).asLongStream().toArray(),
                numClasses);
        try (OneDnnTraining graph = OneDnnTraining.build(spec, numClasses, batch, inputSize, threads)) {
            graph.load(weights);
            for (int i = 0; i < warmup + iterations; i++) {
                pacer.before(i);
                long start = System.nanoTime();
                graph.forwardBackward(images, targets, 0.1f);
                long passed = System.nanoTime();
                graph.update(0.01, 0.9f, 1e-4f);
                long elapsed = System.nanoTime() - start;
                pacer.after(i, elapsed / 1e6);
                if (i >= warmup) {
                    millis.add(elapsed / 1e6);
                    passMs.add((passed - start) / 1e6);
                    updateMs.add((System.nanoTime() - passed) / 1e6);
                }
            }
        }
        phases.accept(new Phases(Medians.of(passMs), 0, Medians.of(updateMs)));
        Complexity complexity = Complexity.of(spec, Form.TRAIN, numClasses, inputSize);
        return new Measurement("RepVGG-" + spec.name(), "train-step", "onednn-graph", batch, threads, inputSize,
                complexity.params(), 3 * complexity.macs(), millis);
    }
}
