package org.repvgg4j.bench.baselines;

import ai.djl.nn.AbstractBlock;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.function.IntFunction;

/** The networks RepVGG is timed against, under torchvision's names. */
public enum Baseline {
    SQUEEZENET1_1("squeezenet1_1", "SqueezeNet-1.1", SqueezeNet11::new),
    RESNET18("resnet18", "ResNet-18", ResNet18::new);

    private final String id;
    private final String label;
    private final IntFunction<AbstractBlock> builder;

    Baseline(String id, String label, IntFunction<AbstractBlock> builder) {
        this.id = id;
        this.label = label;
        this.builder = builder;
    }

    /** torchvision's function name, which is also what {@code --arch} takes. */
    public String id() {
        return id;
    }

    /** The name in tables and JSON. */
    public String label() {
        return label;
    }

    /** A fresh, uninitialised network with this many classes. */
    public AbstractBlock build(int numClasses) {
        return builder.apply(numClasses);
    }

    public long macs(int inputSize, int numClasses) {
        return this == SQUEEZENET1_1 ? SqueezeNet11.macs(inputSize, numClasses) : ResNet18.macs(inputSize, numClasses);
    }

    /** The baseline called {@code name} (torchvision's spelling, any case, '-' or '_' or '.'), if it is one. */
    public static Optional<Baseline> find(String name) {
        String key = name.trim().toLowerCase(Locale.ROOT).replace('-', '_').replace('.', '_');
        return Arrays.stream(values())
                .filter(b -> b.id.equals(key) || b.label.toLowerCase(Locale.ROOT).replace('-', '_').replace('.', '_').equals(key))
                .findFirst();
    }
}
