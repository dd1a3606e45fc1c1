package org.repvgg4j.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import org.repvgg4j.export.Precision;
import org.repvgg4j.export.TorchScriptExporter;
import org.repvgg4j.infer.TorchScriptScorer;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.weights.NetworkWeights;

/**
 * Times the same deploy network as {@link ForwardBench} exported to bfloat16 TorchScript and run on
 * DJL's libtorch, whose oneDNN runs bf16 convolutions on AMX or AVX512-BF16 where the processor has
 * them (DJL's own NDArrays cannot hold bf16: see docs/BENCHMARKS.md).
 */
public final class TorchScriptBench {

    /** The engine label of bf16 measurements. */
    public static final String ENGINE_BF16 = "pytorch-bf16";

    private TorchScriptBench() {}

    /** The deploy network as a bf16 TorchScript archive. */
    public static byte[] bf16(RepVgg net, int inputSize) {
        return TorchScriptExporter.toBytes(ScorerBench.deployConfig(net, inputSize), NetworkWeights.of(net),
                Precision.BF16);
    }

    /** Times the archive {@code archive} of {@code net} on libtorch's threads, as {@link OnnxRuntimeBench#time} does. */
    public static Measurement time(byte[] archive, String engine, RepVgg net, String label, int batch, int inputSize,
            int warmup, int iterations, NDManager manager) throws IOException {
        try (TorchScriptScorer scorer = TorchScriptScorer.open(archive, label + " " + engine)) {
            return ScorerBench.time(scorer, engine, net, label, batch, inputSize, warmup, iterations,
                    JniUtils.getNumThreads(), manager);
        }
    }
}
