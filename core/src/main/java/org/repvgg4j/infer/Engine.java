package org.repvgg4j.infer;

import java.util.Locale;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.platform.CpuFeatures;

/** Where a deploy network runs. */
public enum Engine {
    /** DJL's PyTorch engine on the model directory's safetensors (or a TorchScript file). */
    PYTORCH,
    /** ONNX Runtime on the model's ONNX export, made in memory when the directory has none. */
    ONNXRUNTIME,
    /**
     * oneDNN 2.7 on the deploy form, with Winograd convolutions on AVX-512 CPUs
     * ({@code infer/onednn}); checked against DJL's output when a model is opened.
     */
    ONEDNN;

    /** The engine preferred on this CPU: oneDNN with AVX-512, else ONNX Runtime ({@link EngineResolver}). */
    public static final Engine DEFAULT = EngineResolver.preferred(CpuFeatures.hasAvx512());

    /** The smallest input size at which oneDNN is the default ({@link EngineResolver#ONEDNN_MIN_INPUT}). */
    public static final int ONEDNN_MIN_INPUT = EngineResolver.ONEDNN_MIN_INPUT;

    /** The engine used when none is named for this network on this CPU ({@link EngineResolver}). */
    public static Engine defaultFor(RepVggSpec spec, int inputSize) {
        return EngineResolver.defaultFor(EngineResolver.Network.of(spec, inputSize), DEFAULT == ONEDNN);
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code pytorch} / {@code onnxruntime} / {@code onednn} (any case). */
    public static Engine parse(String text) {
        for (Engine e : values()) {
            if (e.id().equalsIgnoreCase(text.strip())) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown engine '" + text + "' (pytorch, onnxruntime or onednn)");
    }
}
