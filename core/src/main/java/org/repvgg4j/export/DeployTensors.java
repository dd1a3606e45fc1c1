package org.repvgg4j.export;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.Set;
import org.repvgg4j.weights.StateDict;

/** The checks every exporter makes on deploy-form weights before writing them out. */
public final class DeployTensors {

    private DeployTensors() {}

    /**
     * The tensor under {@code key}, after checking that the key is there and has {@code shape};
     * either failure names the key.
     */
    public static NDArray require(StateDict weights, String key, long... shape) {
        if (!weights.contains(key)) {
            throw new IllegalArgumentException("deploy weights: missing key '" + key + "'");
        }
        NDArray array = weights.get(key);
        long[] actual = array.getShape().getShape();
        if (!Arrays.equals(actual, shape)) {
            throw new IllegalArgumentException("deploy weights: key '" + key + "' has shape "
                    + Arrays.toString(actual) + " but the network expects " + Arrays.toString(shape));
        }
        return array;
    }

    /** The tensor's values as float32. */
    public static float[] floats(NDArray array) {
        return array.getDataType() == DataType.FLOAT32
                ? array.toFloatArray() : array.toType(DataType.FLOAT32, false).toFloatArray();
    }

    /**
     * A tensor the export did not use means the weights are of another network (a deeper stage, SE
     * where the spec has none); exporting without it would silently drop part of the model.
     */
    public static void refuseUnused(StateDict weights, Set<String> used) {
        for (String key : weights.keys()) {
            if (!used.contains(key) && !key.endsWith(".num_batches_tracked")) {
                throw new IllegalArgumentException("deploy weights: unexpected key '" + key
                        + "' (the weights are not of this spec's deploy form)");
            }
        }
    }
}
