package org.repvgg4j.bench;

import ai.djl.ndarray.NDManager;
import org.repvgg4j.infer.Engine;
import org.repvgg4j.infer.onednn.OneDnnScorer;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.weights.NetworkWeights;

/**
 * Times the same deploy network as {@link ForwardBench} on the onednn engine (oneDNN 2.7, Winograd
 * convolutions from batch 2 on AVX-512 CPUs), on identical weights and inputs.
 */
public final class OneDnnBench {

    public static final String ENGINE = Engine.ONEDNN.id();

    private OneDnnBench() {}

    /**
     * Compiles {@code net} (deploy form) for {@code batch}, runs {@code warmup} untimed and
     * {@code iterations} timed batches; each includes copying the input in from a Java array and the
     * logits out, as {@link OnnxRuntimeBench}'s runs do.
     */
    public static Measurement run(RepVgg net, String label, int batch, int inputSize, int warmup, int iterations,
            int threads, NDManager manager) {
        if (net.form() != Form.DEPLOY) {
            throw new IllegalArgumentException("the onednn engine runs the deploy form only; convert the network first");
        }
        try (OneDnnScorer scorer = OneDnnScorer.open(ScorerBench.deployConfig(net, inputSize), NetworkWeights.of(net),
                threads)) {
            return ScorerBench.time(scorer, ENGINE, net, label, batch, inputSize, warmup, iterations, scorer.threads(),
                    manager);
        }
    }
}
