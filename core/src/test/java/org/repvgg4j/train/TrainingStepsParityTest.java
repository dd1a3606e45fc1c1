package org.repvgg4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.repvgg4j.io.Npy;
import org.repvgg4j.model.ConvolutionStrategy;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.platform.ConvolutionCheck;
import org.repvgg4j.platform.TrainingConvolutions;
import org.repvgg4j.weights.NetworkWeights;
import org.repvgg4j.weights.StateDict;

/**
 * Fifty steps of {@code repvgg train}'s recipe against PyTorch's record of the same fifty steps
 * (tools/make_training_steps.py: the same tiny network, initial weights and batches). Each step
 * runs through {@link TrainingStep}, the code training runs, with the trainer and optimizer built
 * as {@link TrainingRun} builds them. Every quantity is compared per tensor as
 * {@code max |ours - PyTorch| / max |PyTorch|}: learning rate and loss at every step, gradients
 * (before the update) and momentum buffers (after it) at steps 1, 2, 10 and 50, weights and BN
 * running statistics after steps 1, 2, 10, 25 and 50. The momentum buffer holds the weight decay
 * term at full size; in the weights it shows only after many steps.
 */
class TrainingStepsParityTest {

    /** tools/make_training_steps.py's SPEC: grouped layers 2 and 4, an identity branch in stage 2. */
    static final String ARCH = "depths=1,2,1,1;widths=0.125,0.125,0.0625,0.0625;groups=2";
    private static final int CLASSES = 10;
    private static final int SIZE = 32;
    private static final int BATCH = 8;
    private static final int STEPS = 50;
    private static final int EPOCHS = 10;
    private static final double TOLERANCE = 1e-4;
    private static final Set<Integer> GRADIENTS_AT = Set.of(1, 2, 10, 50);
    private static final Set<Integer> WEIGHTS_AFTER = Set.of(1, 2, 10, 25, 50);

    /** The ways training may compute the convolutions on a machine; all must train as PyTorch does. */
    static Stream<Arguments> convolutionStrategies() {
        RepVggSpec spec = RepVggSpec.parse(ARCH);
        List<TrainingConvolutions.StridedConvolution> everyStrided = ConvolutionCheck.stridedProblemsOf(spec, SIZE, BATCH)
                .stream().map(ConvolutionCheck::strided).toList();
        return Stream.of(
                Arguments.of("plain", ConvolutionStrategy.PLAIN),
                Arguments.of("stride 2 from phases", TrainingConvolutions.unchecked()),
                Arguments.of("stride 2 checked strided", new TrainingConvolutions(everyStrided, Set.of())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("convolutionStrategies")
    void fiftyStepsOfTheRecipeMatchPyTorchStepByStep(String name, ConvolutionStrategy convolutions) throws IOException {
        TrainSettings settings = TrainSettings.builder(Path.of("train.txt"), Path.of("val.txt"), Path.of("annotations.txt"))
                .arch(ARCH).imageSize(SIZE).batchSize(BATCH).epochs(EPOCHS).workers(1).build();
        // The recipe's rate for the batch: at 0.1 these steps are chaotic (see tools/make_training_steps.py).
        assertThat(settings.lr()).isEqualTo(0.1 * BATCH / 256);
        float[] images = Npy.read(file("images.npy")).toFloats();
        float[] labels = Npy.read(file("labels.npy")).toFloats();
        float[] batches = Npy.read(file("batches.npy")).toFloats();
        double[] losses = Npy.read(file("losses.npy")).toDoubles();
        double[] lrs = Npy.read(file("lrs.npy")).toDoubles();
        Worst worst = new Worst();

        try (Model model = Model.newInstance("parity", Device.cpu())) {
            RepVgg net = new RepVgg(settings.spec(), Form.TRAIN, CLASSES, convolutions);
            model.setBlock(net);
            NDManager manager = model.getNDManager();
            net.initialize(manager, SIZE);
            NetworkWeights.load(net, StateDict.readSafetensors(file("initial.safetensors"), manager), "initial.safetensors");
            Optimisation optimisation = Optimisation.of(net, settings, CLASSES, manager);
            try (Trainer trainer = model.newTrainer(TrainingStep.trainingConfig(settings, optimisation))) {
                trainer.initialize(new Shape(BATCH, 3, SIZE, SIZE));
                net.freezeThrough(settings.frozenStages());
                TrainingStep training = new TrainingStep(trainer, optimisation,
                        TrainingStep.schedule(settings, STEPS / EPOCHS), settings.weightDecay());
                Map<String, Parameter> parameters = net.stateDict();
                for (int step = 1; step <= STEPS; step++) {
                    try (NDManager batchManager = trainer.getManager().newSubManager()) {
                        NDList x = new NDList(batchImages(batchManager, images, batches, step));
                        NDList y = new NDList(batchLabels(batchManager, labels, batches, step));
                        TrainingStep.Outcome outcome = training.forwardBackward(x, y, step - 1);
                        worst.scalar("learning rate", step, outcome.lr(), lrs[step - 1]);
                        worst.scalar("loss", step, outcome.loss(), losses[step - 1]);
                        if (GRADIENTS_AT.contains(step)) {
                            StateDict expected = StateDict.readSafetensors(file("grads_at_" + step + ".safetensors"), batchManager);
                            for (String key : expected.keys()) {
                                try (NDArray grad = parameters.get(key).getArray().getGradient()) {
                                    worst.tensor("gradient", step, key, grad.toFloatArray(), expected.get(key).toFloatArray());
                                }
                            }
                        }
                        training.update();
                        if (GRADIENTS_AT.contains(step)) {
                            StateDict expected = StateDict.readSafetensors(file("velocity_after_" + step + ".safetensors"),
                                    batchManager);
                            for (String key : expected.keys()) {
                                NDArray velocity = optimisation.sgd().velocity().get(parameters.get(key).getId());
                                worst.tensor("momentum buffer", step, key, velocity.toFloatArray(),
                                        expected.get(key).toFloatArray());
                            }
                        }
                        if (WEIGHTS_AFTER.contains(step)) {
                            StateDict expected = StateDict.readSafetensors(file("weights_after_" + step + ".safetensors"),
                                    batchManager);
                            StateDict ours = NetworkWeights.of(net);
                            for (String key : expected.keys()) {
                                worst.tensor(kind(key), step, key, ours.get(key).toFloatArray(), expected.get(key).toFloatArray());
                            }
                        }
                    }
                }
            }
            optimisation.close();
        }
        System.out.println("training steps vs PyTorch (" + name + "), max |ours - PyTorch| / max |PyTorch| per tensor:\n"
                + worst);
        assertThat(worst.quantities()).containsExactlyInAnyOrder("learning rate", "loss", "gradient", "momentum buffer",
                "weight", "BN running mean", "BN running var");
        worst.assertWithin(TOLERANCE);
    }

    private static String kind(String key) {
        if (key.endsWith("running_mean")) {
            return "BN running mean";
        }
        return key.endsWith("running_var") ? "BN running var" : "weight";
    }

    private static NDArray batchImages(NDManager manager, float[] images, float[] batches, int step) {
        int plane = 3 * SIZE * SIZE;
        float[] batch = new float[BATCH * plane];
        for (int i = 0; i < BATCH; i++) {
            System.arraycopy(images, (int) batches[(step - 1) * BATCH + i] * plane, batch, i * plane, plane);
        }
        return manager.create(batch, new Shape(BATCH, 3, SIZE, SIZE));
    }

    /** Class indices as ListDataset hands them to training: int32. */
    private static NDArray batchLabels(NDManager manager, float[] labels, float[] batches, int step) {
        int[] batch = new int[BATCH];
        for (int i = 0; i < BATCH; i++) {
            batch[i] = (int) labels[(int) batches[(step - 1) * BATCH + i]];
        }
        return manager.create(batch);
    }

    static Path file(String name) {
        try {
            return Path.of(TrainingStepsParityTest.class.getResource("/training-steps/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test resource training-steps/" + name
                    + " (run tools/make_training_steps.py)", e);
        }
    }

    /** The largest relative difference seen per quantity, and where. */
    static final class Worst {
        private record Seen(double relative, String where) {}

        private final Map<String, Seen> byQuantity = new LinkedHashMap<>();

        void scalar(String quantity, int step, double ours, double pytorch) {
            record(quantity, Math.abs(ours - pytorch) / Math.abs(pytorch),
                    String.format(Locale.ROOT, "step %d: %.8g, PyTorch %.8g", step, ours, pytorch));
        }

        void tensor(String quantity, int step, String key, float[] ours, float[] pytorch) {
            assertThat(ours).as("%s %s at step %d: element count", quantity, key, step).hasSameSizeAs(pytorch);
            double diff = 0;
            double scale = 0;
            for (int i = 0; i < ours.length; i++) {
                diff = Math.max(diff, Math.abs((double) ours[i] - pytorch[i]));
                scale = Math.max(scale, Math.abs((double) pytorch[i]));
            }
            // An all-zero tensor (a BN shift before its first update) is compared absolutely.
            record(quantity, scale == 0 ? diff : diff / scale,
                    String.format(Locale.ROOT, "step %d, %s (max |PyTorch| %.3g)", step, key, scale));
        }

        private void record(String quantity, double relative, String where) {
            Seen seen = byQuantity.get(quantity);
            if (seen == null || !(relative <= seen.relative())) {
                byQuantity.put(quantity, new Seen(relative, where));
            }
        }

        List<String> quantities() {
            return new ArrayList<>(byQuantity.keySet());
        }

        void assertWithin(double tolerance) {
            for (Map.Entry<String, Seen> e : byQuantity.entrySet()) {
                assertThat(e.getValue().relative())
                        .as("%s differs from PyTorch's at %s", e.getKey(), e.getValue().where())
                        .isLessThanOrEqualTo(tolerance);
            }
        }

        @Override
        public String toString() {
            StringBuilder text = new StringBuilder();
            byQuantity.forEach((quantity, seen) -> text.append(String.format(Locale.ROOT, "  %-16s %.2e  (%s)%n",
                    quantity, seen.relative(), seen.where())));
            return text.toString();
        }
    }
}
