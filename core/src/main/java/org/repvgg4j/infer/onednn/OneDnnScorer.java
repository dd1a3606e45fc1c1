package org.repvgg4j.infer.onednn;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.repvgg4j.infer.Engine;
import org.repvgg4j.infer.Scorer;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.StateDict;

/**
 * A deploy-form RepVGG on oneDNN (engine {@code onednn}), with Winograd convolutions where oneDNN has
 * them ({@link OneDnnPlan}). oneDNN compiles a network for one batch size and input size; the plans
 * of the last few shapes are kept, so a run's full batches and its last, shorter one both stay
 * compiled. Every call runs on oneDNN's one thread in the process ({@link Dnnl#onItsThread}), one batch
 * at a time; it uses all the OpenMP threads it is given.
 */
public final class OneDnnScorer implements Scorer {

    /** Shapes kept compiled by default: full batches, the last partial one, and one more. */
    private static final int PLANS_KEPT = 3;

    private final OneDnnNetwork network;
    private final int threads;
    private final Map<Long, OneDnnPlan> plans = new LinkedHashMap<>(4, 0.75f, true);
    private boolean closed;
    private volatile int plansKept = PLANS_KEPT;

    private OneDnnScorer(OneDnnNetwork network, int threads) {
        this.network = network;
        this.threads = threads;
    }

    /**
     * The deploy network of {@code config} with {@code weights} under the official key names;
     * {@code threads} 0 means one per processor the JVM sees (as the other engines take).
     */
    public static OneDnnScorer open(ModelConfig config, StateDict weights, int threads) {
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be >= 0 (0: one per processor), got " + threads);
        }
        OneDnnNetwork network = OneDnnNetwork.of(config, weights);
        Dnnl.onItsThread(Dnnl::engine);
        return new OneDnnScorer(network, threads == 0 ? Runtime.getRuntime().availableProcessors() : threads);
    }

    /** Runs on oneDNN's own thread ({@link Dnnl#onItsThread}), one batch at a time in the process. */
    @Override
    public float[][] logits(float[] nchw, int batch, int size) {
        return Dnnl.onItsThread(() -> plan(batch, size).run(nchw, threads));
    }

    /**
     * The oneDNN kernel each convolution runs on at this batch and input size, in network order:
     * {@code jit_wino_4x3:avx512_core} for Winograd, other names for direct convolutions.
     */
    public List<String> convolutionKernels(int batch, int size) {
        return Dnnl.onItsThread(() -> plan(batch, size).convolutionKernels());
    }

    /**
     * Keeps the plans of up to {@code shapes} batch and input sizes compiled (default 3): a caller that
     * runs a known, larger set of sizes (a server padding batches to a few sizes) keeps them all and
     * compiles each once.
     */
    public void keepPlans(int shapes) {
        if (shapes < 1) {
            throw new IllegalArgumentException("keep at least one plan, got " + shapes);
        }
        plansKept = shapes;
    }

    public int threads() {
        return threads;
    }

    @Override
    public String engine() {
        return Engine.ONEDNN.id();
    }

    private OneDnnPlan plan(int batch, int size) {
        if (closed) {
            throw new IllegalStateException("the onednn scorer is closed");
        }
        if (batch < 1 || size < 1) {
            throw new IllegalArgumentException("batch and size must be positive, got " + batch + " and " + size);
        }
        long key = ((long) batch << 32) | size;
        OneDnnPlan plan = plans.get(key);
        if (plan == null) {
            plan = OneDnnPlan.compile(network, batch, size);
            plans.put(key, plan);
            if (plans.size() > plansKept) {
                Iterator<OneDnnPlan> eldest = plans.values().iterator();
                eldest.next().close();
                eldest.remove();
            }
        }
        return plan;
    }

    @Override
    public void close() {
        Dnnl.onItsThread(() -> {
            closed = true;
            plans.values().forEach(OneDnnPlan::close);
            plans.clear();
            return null;
        });
    }
}
