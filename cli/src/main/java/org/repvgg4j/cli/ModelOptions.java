package org.repvgg4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.repvgg4j.export.Precision;
import org.repvgg4j.infer.Classifier;
import org.repvgg4j.infer.Engine;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.ModelDirectory;
import picocli.CommandLine.Option;

/** The options that pick a model and where it runs, shared by predict, eval and batch. */
final class ModelOptions {

    @Option(names = "--model", required = true, paramLabel = "DIR|FILE.onnx|FILE.pt",
            description = "model directory (train or deploy form), an ONNX file from 'repvgg export' (fp32 or int8, "
                    + "ONNX Runtime), or a TorchScript file (then --classes is needed)")
    Path model;

    @Option(names = "--engine", paramLabel = "ENGINE",
            description = {"pytorch, onnxruntime or onednn (default: onednn where the CPU has AVX-512, for its Winograd",
                "convolutions, and the input is 160x160 or more, else onnxruntime; the fastest measured, see",
                "docs/BENCHMARKS.md)"})
    String engine;

    @Option(names = "--classes", paramLabel = "FILE",
            description = {"class file (annotations.txt) naming a TorchScript model's outputs; for a model that names",
                "its own (directory, export), eval reads the list's labels by this file's class names"})
    Path classes;

    @Option(names = "--image-size", paramLabel = "S",
            description = "a TorchScript model's input size (default: 224; resized to S/0.875, center crop S)")
    Integer imageSize;

    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "fp32|bf16",
            description = {"bf16: run a model directory's deploy form in bfloat16 on libtorch (its TorchScript export,",
                "made in memory and checked against fp32 within 5%); fast where the CPU has AMX or AVX512-BF16"})
    String precision;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
            description = "threads per operator in the engine (default: one per processor)")
    int threads;

    /**
     * The engine to use: as given, else PyTorch for TorchScript files and bf16, ONNX Runtime for ONNX
     * files, else the measured default for the network ({@link Engine#defaultFor}).
     */
    Engine engine() {
        if (engine != null) {
            return Engine.parse(engine);
        }
        if (precision() == Precision.BF16) {
            return Engine.PYTORCH;
        }
        String name = model.getFileName() == null ? "" : model.getFileName().toString();
        if (name.endsWith(".onnx")) {
            return Engine.ONNXRUNTIME;
        }
        if (name.endsWith(".pt") || name.endsWith(".ts") || name.endsWith(".torchscript")) {
            return Engine.PYTORCH;
        }
        return defaultEngine();
    }

    /**
     * For a model directory, the default for its network and input size (ONNX Runtime where oneDNN
     * would be slower or cannot run it); otherwise, or if its config cannot be read, {@link Engine#DEFAULT}.
     */
    private Engine defaultEngine() {
        if (!java.nio.file.Files.isDirectory(model)) {
            return Engine.DEFAULT;
        }
        try {
            ModelConfig config = ModelDirectory.readConfig(model);
            return Engine.defaultFor(config.spec(), config.preprocessing().inputSize());
        } catch (IOException | RuntimeException e) {
            return Engine.DEFAULT; // opening the model reports what is wrong with it
        }
    }

    /** The file the class names come from, for messages about labels. */
    Path classSource() {
        if (classes != null) {
            return classes;
        }
        return java.nio.file.Files.isDirectory(model) ? model.resolve(ModelDirectory.CONFIG_FILE)
                : model;
    }

    Precision precision() {
        Precision p;
        try {
            p = Precision.parse(precision);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--precision: " + e.getMessage().replace(", int8", ""));
        }
        if (p == Precision.INT8) {
            throw new IllegalArgumentException("--precision int8 runs from an ONNX file: write one with 'repvgg export "
                    + "--precision int8 --calibration LIST' and pass it as --model");
        }
        if (p == Precision.BF16 && engine != null && Engine.parse(engine) != Engine.PYTORCH) {
            throw new IllegalArgumentException("--precision bf16 runs on libtorch: leave out --engine " + engine
                    + " (or give --engine pytorch)");
        }
        return p;
    }

    Classifier open() throws IOException {
        return Classifier.open(model, new Classifier.Options(engine(), classes, imageSize, threads, precision()));
    }
}
