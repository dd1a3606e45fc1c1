package org.repvgg4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.repvgg4j.data.ImageDecoder;
import org.repvgg4j.export.Precision;
import org.repvgg4j.infer.Classifier;
import org.repvgg4j.infer.Engine;
import org.repvgg4j.infer.EngineResolver;
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
                "made in memory and checked against fp32 within 5%%); fast where the CPU has AMX or AVX512-BF16"})
    String precision;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
            description = "threads per operator in the engine (default: one per processor)")
    int threads;

    @picocli.CommandLine.Spec(picocli.CommandLine.Spec.Target.MIXEE)
    picocli.CommandLine.Model.CommandSpec mixee;

    @Option(names = "--max-pixels", paramLabel = "N",
            description = "refuse images of more than N pixels, from their header, before decoding (default: 100000000)")
    Long maxPixels;

    /** The engine asked for with --engine, or null: {@link EngineResolver} chooses. */
    Engine engine() {
        return engine == null ? null : Engine.parse(engine);
    }

    /** The file the class names come from, for messages about labels. */
    Path classSource() {
        if (classes != null) {
            return classes;
        }
        return java.nio.file.Files.isDirectory(model) ? model.resolve(ModelDirectory.CONFIG_FILE)
                : model;
    }

    /** The precision asked for with --precision; which engine and file run it is {@link EngineResolver}'s to say. */
    Precision precision() {
        try {
            return Precision.parse(precision);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--precision: " + e.getMessage().replace(", int8", ""));
        }
    }

    /** The model through the public API, listing {@code topK} classes per image (as {@link #open()} resolves it). */
    org.repvgg4j.api.RepVggModel load(int topK) throws IOException {
        return org.repvgg4j.api.RepVggModel.load(model, org.repvgg4j.api.LoadOptions.defaults().withEngine(engine)
                .withClassFile(classes).withImageSize(imageSize).withThreads(threads).withPrecision(precision)
                .withTopK(Math.max(1, topK)));
    }

    /** The model on the engine, at the precision and from the file that {@link EngineResolver} chooses. */
    Classifier open() throws IOException {
        if (maxPixels != null) {
            if (maxPixels < 1) {
                throw new picocli.CommandLine.ParameterException(mixee.commandLine(),
                        "--max-pixels must be at least 1, got " + maxPixels);
            }
            // For every image this process reads, on whichever thread decodes it.
            System.setProperty(ImageDecoder.MAX_PIXELS_PROPERTY, maxPixels.toString());
        }
        return Classifier.open(model, new Classifier.Options(engine(), classes, imageSize, threads, precision()));
    }
}
