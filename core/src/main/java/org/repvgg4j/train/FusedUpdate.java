package org.repvgg4j.train;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * {@link NesterovSgd}'s update of all parameters in one call into a TorchScript module
 * ({@code nesterov_update.pt}, written by {@code tools/make_nesterov_update.py}). libtorch's
 * {@code add_} with a scale does in one pass what takes DJL 0.36 a temporary and two passes, so the
 * update reads and writes each parameter five times instead of nine, in one native call instead of
 * about a dozen per parameter (docs/BENCHMARKS.md, "Optimizer update in one call").
 */
final class FusedUpdate {

    private static final String RESOURCE = "nesterov_update.pt";

    private FusedUpdate() {
    }

    /** Loaded once per process; null if the module could not be loaded. */
    private static final class Module {
        static final PtSymbolBlock BLOCK = load();

        private static PtSymbolBlock load() {
            try (InputStream in = FusedUpdate.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    return null;
                }
                // The module holds no tensors; its manager lives as long as the process.
                NDManager manager = NDManager.newBaseManager();
                return JniUtils.loadModule((PtNDManager) manager, in, false, false);
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
    }

    /** Whether the module loaded; where it did not, {@link NesterovSgd} updates parameter by parameter. */
    static boolean available() {
        return Module.BLOCK != null;
    }

    /**
     * Updates every {@code weights[i]} in place from {@code grads[i]} (zeroed after) and
     * {@code velocities[i]}: {@code g = grad + decays[i] * w; v = momentum * v + g;
     * w -= lr * (g + momentum * v)}.
     */
    static void run(List<PtNDArray> weights, List<PtNDArray> grads, List<PtNDArray> velocities, List<Double> decays,
            double lr, double momentum) {
        IValue[] args = {
            IValue.listFrom(weights.toArray(PtNDArray[]::new)),
            IValue.listFrom(grads.toArray(PtNDArray[]::new)),
            IValue.listFrom(velocities.toArray(PtNDArray[]::new)),
            IValue.listFrom(decays.stream().mapToDouble(Double::doubleValue).toArray()),
            IValue.from(lr),
            IValue.from(momentum),
        };
        try {
            Module.BLOCK.forward(args).close();
        } finally {
            for (IValue arg : args) {
                arg.close();
            }
        }
    }
}
