package org.repvgg4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.repvgg4j.infer.Classifier;
import org.repvgg4j.infer.Engine;
import picocli.CommandLine.Option;

/** The options that pick a model and where it runs, shared by predict, eval and batch. */
final class ModelOptions {

    @Option(names = "--model", required = true, paramLabel = "DIR|FILE.onnx|FILE.pt",
            description = "model directory (train or deploy form), an ONNX file from 'repvgg export' (fp32 or int8, "
                    + "ONNX Runtime), or a TorchScript file (then --classes is needed)")
    Path model;

    @Option(names = "--engine", paramLabel = "ENGINE",
            description = "pytorch or onnxruntime (default: onnxruntime, the faster here; see docs/BENCHMARKS.md)")
    String engine;

    @Option(names = "--classes", paramLabel = "FILE",
            description = "class file (annotations.txt) naming a TorchScript model's outputs")
    Path classes;

    @Option(names = "--image-size", paramLabel = "S",
            description = "a TorchScript model's input size (default: 224; resized to S/0.875, center crop S)")
    Integer imageSize;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
            description = "threads per operator in the engine (default: one per processor)")
    int threads;

    /** The engine to use: as given, else PyTorch for TorchScript files, else the measured default. */
    Engine engine() {
        if (engine != null) {
            return Engine.parse(engine);
        }
        String name = model.getFileName() == null ? "" : model.getFileName().toString();
        if (name.endsWith(".onnx")) {
            return Engine.ONNXRUNTIME;
        }
        return name.endsWith(".pt") || name.endsWith(".ts") || name.endsWith(".torchscript") ? Engine.PYTORCH
                : Engine.DEFAULT;
    }

    /** The file the class names come from, for messages about labels. */
    Path classSource() {
        if (classes != null) {
            return classes;
        }
        return java.nio.file.Files.isDirectory(model) ? model.resolve(org.repvgg4j.weights.ModelDirectory.CONFIG_FILE)
                : model;
    }

    Classifier open() throws IOException {
        return Classifier.open(model, new Classifier.Options(engine(), classes, imageSize, threads));
    }
}
