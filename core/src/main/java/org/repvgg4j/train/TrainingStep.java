package org.repvgg4j.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.TrainingConfig;

/**
 * One optimizer step as {@code repvgg train} takes it: the schedule's learning rate for the step,
 * the forward pass in training mode, the label-smoothed loss, the backward pass, then the update.
 * {@link TrainingRun} takes every step through here, and TrainingStepsParityTest takes the same
 * steps against PyTorch's record of them, so what the test proves is what training runs.
 */
final class TrainingStep {

    /** What the forward and backward passes of a step gave, before its update. */
    record Outcome(double lr, float loss, long[] predicted) {}

    private final Trainer trainer;
    private final Optimisation optimisation;
    private final LearningRateSchedule schedule;
    private final double weightDecay;

    TrainingStep(Trainer trainer, Optimisation optimisation, LearningRateSchedule schedule, double weightDecay) {
        this.trainer = trainer;
        this.optimisation = optimisation;
        this.schedule = schedule;
        this.weightDecay = weightDecay;
    }

    /** The trainer's configuration: the recipe's label-smoothed loss and the optimisation's Nesterov SGD. */
    static TrainingConfig trainingConfig(TrainSettings settings, Optimisation optimisation) {
        return new DefaultTrainingConfig(new LabelSmoothingLoss((float) settings.labelSmoothing()))
                .optOptimizer(optimisation.sgd())
                .optDevices(new Device[] {Device.cpu()});
    }

    /** The learning rate per step of a run of {@code stepsPerEpoch} steps per epoch. */
    static LearningRateSchedule schedule(TrainSettings settings, int stepsPerEpoch) {
        long totalSteps = (long) stepsPerEpoch * settings.epochs();
        long warmup = Math.min(totalSteps, Math.round(settings.warmupEpochs() * stepsPerEpoch));
        return new LearningRateSchedule(settings.lr(), settings.minLr(), warmup, totalSteps);
    }

    /** Forward, loss and backward of step {@code step} (0-based): the gradients are then in place for {@link #update}. */
    Outcome forwardBackward(NDList images, NDList targets, long step) {
        double lr = schedule.at(step);
        optimisation.sgd().setLearningRate(lr);
        try (GradientCollector collector = trainer.newGradientCollector()) {
            NDList predictions = trainer.forward(images, targets);
            NDArray loss = trainer.getLoss().evaluate(targets, predictions);
            collector.backward(loss);
            return new Outcome(lr, loss.getFloat(), predictions.singletonOrThrow().argMax(1).toLongArray());
        }
    }

    /** The optimizer's update from the gradients of the last {@link #forwardBackward}, which it then zeroes. */
    void update() {
        optimisation.step(weightDecay);
    }

    /** A whole step: {@link #forwardBackward} then {@link #update}. */
    Outcome run(NDList images, NDList targets, long step) {
        Outcome outcome = forwardBackward(images, targets, step);
        update();
        return outcome;
    }
}
