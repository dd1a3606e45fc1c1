package org.repvgg4j.infer;

import java.util.Locale;

/** Where a deploy network runs. */
public enum Engine {
    /** DJL's PyTorch engine on the model directory's safetensors (or a TorchScript file). */
    PYTORCH,
    /** ONNX Runtime on the model's ONNX export, made in memory when the directory has none. */
    ONNXRUNTIME;

    /**
     * The engine used when none is named: ONNX Runtime ran RepVGG-A0 deploy faster than DJL's PyTorch
     * engine on our 2-core benchmark machine at batch 1 and 32 (docs/BENCHMARKS.md, "Engine choice").
     */
    public static final Engine DEFAULT = ONNXRUNTIME;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code pytorch} / {@code onnxruntime} (any case). */
    public static Engine parse(String text) {
        for (Engine e : values()) {
            if (e.id().equalsIgnoreCase(text.strip())) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown engine '" + text + "' (pytorch or onnxruntime)");
    }
}
