package org.repvgg4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.repvgg4j.bench.ForwardBench;
import org.repvgg4j.bench.Measurement;
import org.repvgg4j.bench.OneDnnBench;
import org.repvgg4j.bench.OnnxRuntimeBench;
import org.repvgg4j.bench.TimedNetwork;
import org.repvgg4j.bench.TorchScriptBench;
import org.repvgg4j.export.Precision;
import org.repvgg4j.infer.Engine;
import org.repvgg4j.infer.EngineResolver;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;

/**
 * Times forward passes: at each batch size, each network (train form, deploy form, baselines) on each
 * engine asked, at each precision that engine runs of it ({@link EngineResolver#timings}): fp32 on every
 * engine, int8 on ONNX Runtime, bf16 on libtorch.
 */
final class ForwardTimings {

    private final BenchRun run;
    private final List<Engine> engines;
    private final Set<Precision> precisions;
    private final int ortThreads;
    private final DeployFormExports exports;

    /** {@code ortThreads}: intra-op threads of ONNX Runtime and oneDNN. */
    ForwardTimings(BenchRun run, List<Engine> engines, Set<Precision> precisions, int ortThreads,
            DeployFormExports exports) {
        this.run = run;
        this.engines = engines;
        this.precisions = precisions;
        this.ortThreads = ortThreads;
        this.exports = exports;
    }

    void time(List<TimedNetwork> nets, NDManager manager, Consumer<Measurement> results) throws IOException {
        for (int batch : run.batches()) {
            for (TimedNetwork net : nets) {
                RepVgg deploy = net.block() instanceof RepVgg r && r.form() == Form.DEPLOY ? r : null;
                for (Engine engine : engines) {
                    List<EngineResolver.Choice> choices;
                    try {
                        choices = EngineResolver.timings(engine, precisions, deploy != null,
                                deploy != null && deploy.spec().se());
                    } catch (IllegalArgumentException refused) {
                        if (batch == run.batches().get(0)) {
                            run.err().printf("%s: %s%n", net.model(), refused.getMessage());
                        }
                        continue;
                    }
                    for (EngineResolver.Choice choice : choices) {
                        results.accept(time(choice, net, deploy, batch, manager));
                    }
                }
            }
        }
    }

    private Measurement time(EngineResolver.Choice choice, TimedNetwork net, RepVgg deploy, int batch,
            NDManager manager) throws IOException {
        int size = run.imageSize();
        int warmup = run.warmup();
        int iterations = run.iterations();
        return switch (choice.format()) {
            case DJL_WEIGHTS -> {
                progress(net, ForwardBench.ENGINE, batch);
                yield ForwardBench.run(net, batch, size, warmup, iterations, manager);
            }
            case TORCHSCRIPT_BF16_IN_MEMORY -> {
                progress(net, TorchScriptBench.ENGINE_BF16, batch);
                yield TorchScriptBench.time(exports.bf16TorchScript(deploy), TorchScriptBench.ENGINE_BF16, deploy,
                        net.model(), batch, size, warmup, iterations, manager);
            }
            case ONNX_IN_MEMORY -> {
                progress(net, OnnxRuntimeBench.ENGINE, batch);
                yield OnnxRuntimeBench.time(exports.fp32Onnx(deploy), OnnxRuntimeBench.ENGINE, deploy, net.model(),
                        batch, size, warmup, iterations, ortThreads, manager);
            }
            case ONNX_INT8_IN_MEMORY -> {
                progress(net, OnnxRuntimeBench.ENGINE_INT8, batch);
                yield OnnxRuntimeBench.time(exports.int8Onnx(deploy, net.model()), OnnxRuntimeBench.ENGINE_INT8,
                        deploy, net.model(), batch, size, warmup, iterations, ortThreads, manager);
            }
            case ONEDNN_DEPLOY_FORM -> {
                progress(net, OneDnnBench.ENGINE, batch);
                yield OneDnnBench.run(deploy, net.model(), batch, size, warmup, iterations, ortThreads, manager);
            }
            default -> throw new IllegalStateException("bench does not time " + choice.format());
        };
    }

    private void progress(TimedNetwork net, String engine, int batch) {
        run.progress("timing %s %s on %s, batch %d ...%n", net.model(), net.form(), engine, batch);
    }
}
