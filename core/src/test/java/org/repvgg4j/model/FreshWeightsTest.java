package org.repvgg4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A fresh network starts from PyTorch's default initialisation, as the official code's networks
 * do: conv and linear kernels uniform in {@code +-1/sqrt(fan_in)} (kaiming_uniform with a = sqrt(5)),
 * the linear bias uniform in the same range, BN scales 1 and shifts 0. Compared per tensor with
 * PyTorch's fresh modules of the same networks (training-steps/init_std.tsv, written by
 * tools/make_training_steps.py: a grouped one and one with SE blocks), both pooled over 20 seeds:
 * spread and largest magnitude agree within {@code 3.5 / sqrt(n)} relative for {@code n} pooled
 * values (over five standard errors of the difference of two uniform samples' spreads), at least 2%.
 * That tells a zero from a uniform start, and uniform from Xavier's or He's scales, in every tensor.
 */
class FreshWeightsTest {

    private static final int CLASSES = 10;
    private static final int SEEDS = 20;

    private record Spread(double std, double maxAbs, long count) {}

    @Test
    void freshWeightsSpreadAsPyTorchsDefaultInitialisation() throws IOException {
        Map<String, Map<String, Spread>> byArch = pytorchSpreads();
        assertThat(byArch).hasSize(2);
        byArch.forEach(FreshWeightsTest::compare);
    }

    private static void compare(String arch, Map<String, Spread> pytorch) {
        RepVggSpec spec = RepVggSpec.parse(arch);
        Map<String, List<float[]>> pooled = new LinkedHashMap<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int seed = 0; seed < SEEDS; seed++) {
                Engine.getInstance().setRandomSeed(seed);
                RepVgg net = new RepVgg(spec, Form.TRAIN, CLASSES);
                try (NDManager scope = manager.newSubManager()) {
                    net.initialize(scope, 32);
                    net.stateDict().forEach((key, p) -> pooled.computeIfAbsent(key, k -> new ArrayList<>())
                            .add(p.getArray().toFloatArray()));
                }
            }
        }
        assertThat(pooled.keySet()).containsAll(pytorch.keySet());
        for (Map.Entry<String, Spread> e : pytorch.entrySet()) {
            Spread ours = spread(pooled.get(e.getKey()));
            Spread theirs = e.getValue();
            double tolerance = Math.max(0.02, 3.5 / Math.sqrt(ours.count()));
            assertThat(ours.std()).as("%s: std of fresh %s (PyTorch %.4g)", arch, e.getKey(), theirs.std())
                    .isCloseTo(theirs.std(), within(tolerance * theirs.std() + 1e-7));
            assertThat(ours.maxAbs()).as("%s: max |w| of fresh %s (PyTorch %.4g)", arch, e.getKey(), theirs.maxAbs())
                    .isCloseTo(theirs.maxAbs(), within(tolerance * theirs.maxAbs() + 1e-7));
        }
    }

    private static Spread spread(List<float[]> tensors) {
        double sum = 0;
        double squares = 0;
        double maxAbs = 0;
        long n = 0;
        for (float[] t : tensors) {
            for (float v : t) {
                sum += v;
                squares += (double) v * v;
                maxAbs = Math.max(maxAbs, Math.abs(v));
                n++;
            }
        }
        double mean = sum / n;
        return new Spread(Math.sqrt(Math.max(0, squares / n - mean * mean)), maxAbs, n);
    }

    /** By arch, by key; trainable tensors only: the BN running statistics are 0 and 1 by definition in both. */
    private static Map<String, Map<String, Spread>> pytorchSpreads() throws IOException {
        Path file;
        try {
            file = Path.of(FreshWeightsTest.class.getResource("/training-steps/init_std.tsv").toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test resource training-steps/init_std.tsv"
                    + " (run tools/make_training_steps.py)", e);
        }
        Map<String, Map<String, Spread>> spreads = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(file);
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split("\t");
            spreads.computeIfAbsent(f[0], a -> new LinkedHashMap<>())
                    .put(f[1], new Spread(Double.parseDouble(f[3]), Double.parseDouble(f[4]), 0));
        }
        return spreads;
    }
}
