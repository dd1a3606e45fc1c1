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

    /**
     * The engine preferred on this CPU: oneDNN where it has AVX-512, the instruction set its Winograd
     * convolutions need (RepVGG-A0 deploy at 224x224 on the Zen 5 EPYC: 1.3-1.5x ONNX Runtime's speed
     * at batch 32, the same at batch 1); ONNX Runtime elsewhere, which ran A0 faster than DJL's
     * PyTorch engine at batch 1 and 32 (docs/BENCHMARKS.md, "Engine choice" and "oneDNN Winograd").
     * {@link #defaultFor} narrows it down for one network.
     */
    public static final Engine DEFAULT = CpuFeatures.hasAvx512() ? ONEDNN : ONNXRUNTIME;

    /**
     * The smallest input size at which oneDNN is the default. A0 deploy on the Zen 5 EPYC, oneDNN
     * against ONNX Runtime (docs/BENCHMARKS.md, "oneDNN Winograd"): at 48x48 0.58x at batch 1 and 0.92x
     * at batch 32; at 96 and 128 0.88-0.92x at batch 1 and 1.10-1.34x at batch 32; at 160 and 224 the
     * same speed at batch 1 and 1.28-1.52x at batch 32.
     */
    public static final int ONEDNN_MIN_INPUT = 160;

    /** The engine used when none is named for this network: {@link #DEFAULT} where oneDNN runs it well. */
    public static Engine defaultFor(RepVggSpec spec, int inputSize) {
        if (DEFAULT == ONEDNN && (inputSize < ONEDNN_MIN_INPUT || spec.se())) {
            return ONNXRUNTIME;
        }
        return DEFAULT;
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
