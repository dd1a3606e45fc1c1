package org.repvgg4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.repvgg4j.bench.OnnxRuntimeBench;
import org.repvgg4j.bench.TorchScriptBench;
import org.repvgg4j.export.CalibrationImages;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.weights.Preprocessing;

/**
 * The deploy network as the int8 and bf16 timings (and ONNX Runtime's fp32 one) run it: fp32 ONNX,
 * ONNX quantized to int8 on calibration images, bf16 TorchScript; each made once per network and
 * reused for every batch size, since making them takes longer than timing them.
 */
final class DeployFormExports {

    private final BenchRun run;
    private final Path calibration;
    private final int calibrationImages;
    private final int ortThreads;
    private final Map<RepVgg, byte[]> fp32Onnx = new HashMap<>();
    private final Map<RepVgg, byte[]> int8Onnx = new HashMap<>();
    private final Map<RepVgg, byte[]> bf16TorchScript = new HashMap<>();

    /** {@code calibration} (a list file) and {@code calibrationImages} are for int8 only. */
    DeployFormExports(BenchRun run, Path calibration, int calibrationImages, int ortThreads) {
        this.run = run;
        this.calibration = calibration;
        this.calibrationImages = calibrationImages;
        this.ortThreads = ortThreads;
    }

    byte[] fp32Onnx(RepVgg net) {
        return fp32Onnx.computeIfAbsent(net, n -> OnnxRuntimeBench.fp32(n, run.imageSize()));
    }

    /** Quantized on images of the calibration list; the ranges they give do not change the speed. */
    byte[] int8Onnx(RepVgg net, String label) throws IOException {
        byte[] bytes = int8Onnx.get(net);
        if (bytes == null) {
            run.progress("quantizing %s to int8 (calibration: %d images of %s) ...%n", label, calibrationImages,
                    calibration);
            List<float[]> images = CalibrationImages.load(calibration, calibrationImages, 0,
                    Preprocessing.imagenet(run.imageSize()), 0).calibration();
            bytes = OnnxRuntimeBench.int8(net, run.imageSize(), images, ortThreads);
            int8Onnx.put(net, bytes);
        }
        return bytes;
    }

    byte[] bf16TorchScript(RepVgg net) {
        return bf16TorchScript.computeIfAbsent(net, n -> TorchScriptBench.bf16(n, run.imageSize()));
    }
}
