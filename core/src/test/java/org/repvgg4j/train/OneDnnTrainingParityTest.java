package org.repvgg4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.repvgg4j.infer.onednn.Dnnl;
import org.repvgg4j.io.Npy;
import org.repvgg4j.train.onednn.OneDnnTraining;
import org.repvgg4j.weights.StateDict;

/**
 * The oneDNN training graph against PyTorch's record of fifty steps of the recipe, the same record
 * and tolerance as {@link TrainingStepsParityTest} (tools/make_training_steps.py: a tiny network with
 * grouped layers and an identity branch, its initial weights and batches): learning rate and loss at
 * every step, gradients and momentum buffers at steps 1, 2, 10 and 50, weights and BN running
 * statistics after steps 1, 2, 10, 25 and 50.
 */
class OneDnnTrainingParityTest {

    private static final int CLASSES = 10;
    private static final int SIZE = 32;
    private static final int BATCH = 8;
    private static final int STEPS = 50;
    private static final int EPOCHS = 10;
    private static final Set<Integer> GRADIENTS_AT = Set.of(1, 2, 10, 50);
    private static final Set<Integer> WEIGHTS_AFTER = Set.of(1, 2, 10, 25, 50);

    @Test
    void fiftyStepsMatchPyTorchStepByStep() throws IOException {
        TrainSettings settings = TrainSettings.builder(Path.of("train.txt"), Path.of("val.txt"), Path.of("annotations.txt"))
                .arch(TrainingStepsParityTest.ARCH).imageSize(SIZE).batchSize(BATCH).epochs(EPOCHS).workers(1).build();
        float[] images = Npy.read(TrainingStepsParityTest.file("images.npy")).toFloats();
        float[] labels = Npy.read(TrainingStepsParityTest.file("labels.npy")).toFloats();
        float[] batches = Npy.read(TrainingStepsParityTest.file("batches.npy")).toFloats();
        double[] losses = Npy.read(TrainingStepsParityTest.file("losses.npy")).toDoubles();
        double[] lrs = Npy.read(TrainingStepsParityTest.file("lrs.npy")).toDoubles();
        LearningRateSchedule schedule = TrainingStep.schedule(settings, STEPS / EPOCHS);
        TrainingStepsParityTest.Worst worst = new TrainingStepsParityTest.Worst();
        int plane = 3 * SIZE * SIZE;

        try (NDManager manager = NDManager.newBaseManager();
                OneDnnTraining graph = OneDnnTraining.build(settings.spec(), CLASSES, BATCH, SIZE, 2)) {
            graph.load(floats(StateDict.readSafetensors(TrainingStepsParityTest.file("initial.safetensors"), manager)));
            for (int step = 1; step <= STEPS; step++) {
                float[] x = new float[BATCH * plane];
                float[] y = new float[BATCH * CLASSES];
                for (int i = 0; i < BATCH; i++) {
                    int index = (int) batches[(step - 1) * BATCH + i];
                    System.arraycopy(images, index * plane, x, i * plane, plane);
                    y[i * CLASSES + (int) labels[index]] = 1f;
                }
                double lr = schedule.at(step - 1);
                OneDnnTraining.Outcome outcome = graph.forwardBackward(x, y, (float) settings.labelSmoothing());
                worst.scalar("learning rate", step, lr, lrs[step - 1]);
                worst.scalar("loss", step, outcome.loss(), losses[step - 1]);
                try (NDManager scope = manager.newSubManager()) {
                    if (GRADIENTS_AT.contains(step)) {
                        compare(worst, "gradient", step, graph.gradients(), read("grads_at_" + step, scope));
                    }
                    graph.update(lr, (float) settings.momentum(), (float) settings.weightDecay());
                    if (GRADIENTS_AT.contains(step)) {
                        compare(worst, "momentum buffer", step, graph.velocity(), read("velocity_after_" + step, scope));
                    }
                    if (WEIGHTS_AFTER.contains(step)) {
                        Map<String, float[]> ours = graph.weights();
                        for (Map.Entry<String, float[]> e : read("weights_after_" + step, scope).entrySet()) {
                            String key = e.getKey();
                            String kind = key.endsWith("running_mean") ? "BN running mean"
                                    : key.endsWith("running_var") ? "BN running var" : "weight";
                            assertThat(ours).as(kind + " " + key).containsKey(key);
                            worst.tensor(kind, step, key, ours.get(key), e.getValue());
                        }
                    }
                }
            }
        }
        System.out.println("oneDNN training steps vs PyTorch, max |ours - PyTorch| / max |PyTorch| per tensor:\n" + worst);
        assertThat(worst.quantities()).containsExactlyInAnyOrder("learning rate", "loss", "gradient", "momentum buffer",
                "weight", "BN running mean", "BN running var");
        // The bound of TrainingStepsParityTest where oneDNN runs AVX-512 kernels (worst gradient 4.2e-5 on the
        // Zen 4 of docs/BENCHMARKS.md). With AVX2 kernels the graph lands further from PyTorch, and from float64
        // (1.3e-4 and 1.4e-4 there with REPVGG_ONEDNN_MAX_CPU_ISA=AVX2; PyTorch's own float32 is 1.1e-5 from
        // float64) though each convolution alone is within 4e-7 on both: see BENCHMARKS "Exact to PyTorch".
        // 2e-4 still catches a wrong gradient without failing every AVX2-only machine.
        worst.assertWithin(Dnnl.avx512Kernels() ? 1e-4 : 2e-4);
    }

    private static void compare(TrainingStepsParityTest.Worst worst, String quantity, int step, Map<String, float[]> ours,
            Map<String, float[]> expected) {
        expected.forEach((key, values) -> {
            assertThat(ours).as(quantity + " " + key).containsKey(key);
            worst.tensor(quantity, step, key, ours.get(key), values);
        });
    }

    private static Map<String, float[]> read(String name, NDManager manager) throws IOException {
        return floats(StateDict.readSafetensors(TrainingStepsParityTest.file(name + ".safetensors"), manager));
    }

    private static Map<String, float[]> floats(StateDict dict) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (String key : dict.keys()) {
            out.put(key, dict.get(key).toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray());
        }
        return out;
    }
}
