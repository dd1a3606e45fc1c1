package org.repvgg4j.export;

import ai.djl.ndarray.NDManager;
import org.repvgg4j.infer.OnnxRuntimeRunner;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.reparam.Equivalence;

/** {@link ExportCheck} for an ONNX model in ONNX Runtime, at the input size the model declares. */
public final class OnnxRuntimeCheck {

    private OnnxRuntimeCheck() {}

    public static Equivalence compare(RepVgg network, OnnxRuntimeRunner runner, int batch, long seed,
            double tolerance, NDManager manager) {
        int size = Math.toIntExact(runner.inputShape()[2]);
        return ExportCheck.compare(network, runner, size, batch, seed, tolerance, manager);
    }

    public static String describe(Equivalence eq, int batch) {
        return ExportCheck.describe(eq, batch, "onnxruntime");
    }
}
