package org.repvgg4j.export;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import onnx.Onnx.ModelProto;
import org.repvgg4j.infer.OnnxRuntimeRunner;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.StateDict;

/**
 * Post-training static int8 quantization of a deploy network: export fp32 ONNX ({@link OnnxExporter}),
 * calibrate activation ranges on real images ({@link ActivationCalibrator}), rewrite into QDQ form
 * ({@link QdqQuantizer}), and check the result against fp32 in ONNX Runtime ({@link Int8Agreement}).
 */
public final class Int8Exporter {

    /**
     * Calibration default: each activation's plain min and max. On Fashion-MNIST (A0, 48 px, 10,000
     * test images) min/max and the 99.99th percentile both lost 0.04 points of top-1, the 99.9th and
     * 99.999th 0.06 and 0.08 (docs/BENCHMARKS.md): no percentile did better, so none is assumed.
     */
    public static final double DEFAULT_PERCENTILE = 100;

    /** Metadata keys the int8 file carries beside {@link QdqQuantizer#META_PRECISION}. */
    public static final String META_CALIBRATION_LIST = "calibration.list";
    public static final String META_CALIBRATION_IMAGES = "calibration.images";
    public static final String META_CALIBRATION_PERCENTILE = "calibration.percentile";

    /** The quantized model, the ranges it was built from, and how it compares with fp32. */
    public record Result(ModelProto model, Map<String, ActivationRange> ranges, Int8Agreement agreement) {
        public byte[] toBytes() {
            return model.toByteArray();
        }
    }

    private Int8Exporter() {}

    /**
     * Quantizes the network {@code weights} hold. The agreement is measured on
     * {@code images.check()}, or on the calibration images when the list left none for the check.
     */
    public static Result export(ModelConfig config, StateDict weights, CalibrationImages images, double percentile,
            int threads) throws IOException {
        ModelProto fp32 = OnnxExporter.export(config, weights);
        List<String> tensors = QdqQuantizer.activations(fp32);
        Map<String, ActivationRange> ranges = ActivationCalibrator.calibrate(fp32, tensors, images.calibration(),
                16, percentile, threads);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(META_CALIBRATION_LIST, images.list().getFileName().toString());
        meta.put(META_CALIBRATION_IMAGES, String.valueOf(images.calibration().size()));
        meta.put(META_CALIBRATION_PERCENTILE, String.format(Locale.ROOT, "%s", percentile));
        ModelProto int8 = QdqQuantizer.quantize(fp32, ranges, meta);
        List<float[]> checkImages = images.check().isEmpty() ? images.calibration() : images.check();
        Int8Agreement agreement;
        try (OnnxRuntimeRunner a = OnnxRuntimeRunner.open(fp32.toByteArray(), threads);
                OnnxRuntimeRunner b = OnnxRuntimeRunner.open(int8.toByteArray(), threads)) {
            agreement = Int8Agreement.measure(a, b, checkImages, 16);
        }
        return new Result(int8, ranges, agreement);
    }
}
