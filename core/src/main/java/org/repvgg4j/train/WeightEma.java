package org.repvgg4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;
import org.repvgg4j.weights.StateDict;

/**
 * An exponential moving average of every tensor of a network (weights and BN statistics),
 * updated after each optimizer step: {@code ema = decay * ema + (1 - decay) * w}.
 */
public final class WeightEma implements AutoCloseable {

    private final double decay;
    private final NDManager manager;
    private final Map<String, NDArray> average = new LinkedHashMap<>();

    /** Starts the average at the current weights. */
    public WeightEma(StateDict start, double decay, NDManager parent) {
        if (decay <= 0 || decay >= 1) {
            throw new IllegalArgumentException("EMA decay must be in (0, 1), got " + decay);
        }
        this.decay = decay;
        this.manager = parent.newSubManager();
        start.asMap().forEach((k, v) -> {
            NDArray copy = v.duplicate();
            copy.attach(manager);
            average.put(k, copy);
        });
    }

    public void update(StateDict current) {
        float keep = (float) decay;
        float take = (float) (1 - decay);
        for (Map.Entry<String, NDArray> e : average.entrySet()) {
            NDArray w = current.get(e.getKey());
            try (NDManager scope = manager.newSubManager()) {
                scope.tempAttachAll(w);
                e.getValue().muli(keep).addi(w.mul(take));
            }
        }
    }

    /** The averaged tensors under the same keys (live arrays). */
    public StateDict weights() {
        return StateDict.of(average);
    }

    @Override
    public void close() {
        manager.close();
    }
}
