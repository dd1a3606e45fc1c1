package org.repvgg4j.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.repvgg4j.model.RepVgg;

/** Moves tensors between a {@link RepVgg} network and a {@link StateDict} under official key names. */
public final class NetworkWeights {

    private NetworkWeights() {}

    /** The network's current tensors (the live arrays, not copies). The network must be initialised. */
    public static StateDict of(RepVgg net) {
        StateDict dict = new StateDict();
        for (Map.Entry<String, Parameter> e : net.stateDict().entrySet()) {
            dict.put(e.getKey(), e.getValue().getArray());
        }
        return dict;
    }

    /**
     * Copies every tensor of {@code weights} into the initialised network. The keys must be exactly
     * the network's (PyTorch's optional {@code num_batches_tracked} buffers aside) and the shapes
     * must match; otherwise nothing is copied and the error names the key, citing {@code source}.
     */
    public static void load(RepVgg net, StateDict weights, String source) {
        Map<String, Parameter> target = net.stateDict();
        check(net, target, weights, source);
        for (Map.Entry<String, Parameter> e : target.entrySet()) {
            NDArray from = weights.get(e.getKey());
            if (from.getDataType() != DataType.FLOAT32) {
                from = from.toType(DataType.FLOAT32, false);
            }
            e.getValue().getArray().set(FloatBuffer.wrap(from.toFloatArray()));
        }
    }

    private static void check(RepVgg net, Map<String, Parameter> target, StateDict weights, String source) {
        String network = net.spec().name() + " " + net.form().id() + " form with " + net.numClasses() + " classes";
        List<String> missing = new ArrayList<>();
        for (String key : target.keySet()) {
            if (!weights.contains(key)) {
                missing.add(key);
            }
        }
        List<String> unexpected = new ArrayList<>();
        for (String key : weights.keys()) {
            if (!target.containsKey(key) && !key.endsWith(".num_batches_tracked")) {
                unexpected.add(key);
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            StringBuilder msg = new StringBuilder(source).append(": keys do not match the ").append(network);
            if (!missing.isEmpty()) {
                msg.append("; missing key '").append(missing.get(0)).append('\'');
                if (missing.size() > 1) {
                    msg.append(" (and ").append(missing.size() - 1).append(" more)");
                }
            }
            if (!unexpected.isEmpty()) {
                msg.append("; unexpected key '").append(unexpected.get(0)).append('\'');
                if (unexpected.size() > 1) {
                    msg.append(" (and ").append(unexpected.size() - 1).append(" more)");
                }
            }
            throw new IllegalArgumentException(msg.toString());
        }
        for (Map.Entry<String, Parameter> e : target.entrySet()) {
            Shape expected = e.getValue().getArray().getShape();
            Shape actual = weights.get(e.getKey()).getShape();
            if (!expected.equals(actual)) {
                throw new IllegalArgumentException(source + ": key '" + e.getKey() + "' has shape " + actual
                        + " but the " + network + " expects " + expected);
            }
        }
    }
}
