package org.repvgg4j.train;

import java.util.Locale;

/**
 * What computes the training steps. Either trains the same network to the same numbers (both are
 * checked against PyTorch's record of fifty steps); oneDNN is faster, libtorch covers every option.
 */
public enum TrainingEngine {
    /**
     * oneDNN where the run's options allow it ({@link OneDnnStep#unsupported}) and the graph computes the
     * run's convolutions right on this CPU (checked against float64, {@link OneDnnStep#chosen}), else libtorch.
     */
    AUTO,
    /**
     * One oneDNN graph per run ({@link org.repvgg4j.train.onednn.OneDnnTraining}); an error where the run's
     * options need libtorch or the graph's convolutions check wrong on this CPU.
     */
    ONEDNN,
    /** libtorch's operators through DJL, with autograd. */
    PYTORCH;

    public static TrainingEngine parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown training engine '" + name + "' (auto, onednn or pytorch)");
        }
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
