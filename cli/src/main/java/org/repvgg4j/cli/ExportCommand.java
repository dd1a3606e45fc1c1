package org.repvgg4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.repvgg4j.export.CalibrationImages;
import org.repvgg4j.export.ExportCheck;
import org.repvgg4j.export.Int8Exporter;
import org.repvgg4j.export.OnnxExporter;
import org.repvgg4j.export.OnnxRuntimeCheck;
import org.repvgg4j.export.Precision;
import org.repvgg4j.export.TorchScriptExporter;
import org.repvgg4j.infer.OnnxRuntimeRunner;
import org.repvgg4j.infer.TorchScriptScorer;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.platform.CpuFeatures;
import org.repvgg4j.reparam.Equivalence;
import org.repvgg4j.reparam.VerifiedConversion;
import org.repvgg4j.weights.LoadedModel;
import org.repvgg4j.weights.ModelDirectory;
import org.repvgg4j.weights.NetworkWeights;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Write the deploy network as ONNX: opset " + OnnxExporter.OPSET + ", dynamic batch axis,",
            "class names and preprocessing in the model's metadata_props; or, with",
            "--format torchscript, as a TorchScript archive (model.pt) for torch.jit.load /",
            "torch::jit::load, with them in its extra file repvgg.json.",
            "A train-form model is converted and verified first. The file is then run in",
            "ONNX Runtime (TorchScript: libtorch) on a random batch and kept only if its logits",
            "equal ours (DJL) within 1e-4 of the output scale.",
            "--precision bf16 --format torchscript writes the network in bfloat16 (half the file; oneDNN's bf16",
            "kernels on AMX or AVX512-BF16), checked within " + TorchScriptExporter.BF16_TOLERANCE_PERCENT + "%% of the output scale.",
            "--precision int8 writes a statically quantized model instead (QDQ: int8 weights",
            "per output channel, uint8 activations calibrated on --calibration images); it is",
            "checked against fp32 on other images of the list and kept if their top-1 classes",
            "agree on at least --min-agreement of them. Run it with --model FILE.onnx."})
final class ExportCommand extends Subcommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "model directory, train or deploy form")
    Path model;

    @Option(names = "--format", defaultValue = "onnx", paramLabel = "onnx|torchscript",
            description = "export format (default: ${DEFAULT-VALUE})")
    String format;

    @Option(names = "--out", description = "file to write (default: model.onnx, model-int8.onnx with --precision int8, "
            + "model.pt with --format torchscript, or model-bf16.pt with --precision bf16, in the model directory)")
    Path out;

    @Option(names = "--check-batch", defaultValue = "2", description = "images in the check batch (default: ${DEFAULT-VALUE})")
    int checkBatch;

    @Option(names = "--seed", defaultValue = "0", description = "seed of the check batch (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--threads", defaultValue = "0",
            description = "ONNX Runtime intra-op threads for the check (default: ${DEFAULT-VALUE}, ONNX Runtime's choice)")
    int threads;

    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "fp32|bf16|int8",
            description = {"fp32 (default); bf16 (TorchScript: weights and every layer in bfloat16, float32 in and out);",
                "int8 (ONNX: post-training static quantization; needs --calibration)"})
    String precision;

    @Option(names = "--calibration", paramLabel = "LIST",
            description = "int8: list file of images like those the model will see (labels not needed)")
    Path calibration;

    @Option(names = "--calibration-images", defaultValue = "" + DEFAULT_CALIBRATION_IMAGES, paramLabel = "N",
            description = "int8: images drawn (seeded by --seed) from the list for calibration (default: ${DEFAULT-VALUE})")
    int calibrationImages;

    @Option(names = "--calibration-percentile", defaultValue = "" + Int8Exporter.DEFAULT_PERCENTILE, paramLabel = "P",
            description = "int8: clip each activation range at this percentile of |x|; 100 = min/max (default: ${DEFAULT-VALUE})")
    double percentile;

    @Option(names = "--check-images", defaultValue = "" + DEFAULT_CALIBRATION_IMAGES, paramLabel = "N",
            description = "int8: further images of the list to compare int8 with fp32 on (default: ${DEFAULT-VALUE})")
    int checkImages;

    @Option(names = "--min-agreement", defaultValue = "0.9", paramLabel = "F",
            description = "int8: least share of check images whose top-1 class int8 and fp32 agree on (default: ${DEFAULT-VALUE})")
    double minAgreement;

    static final int DEFAULT_CALIBRATION_IMAGES = 256;

    @Override
    public Integer call() throws Exception {
        boolean torchScript = switch (format.toLowerCase(Locale.ROOT)) {
            case "onnx" -> false;
            case "torchscript" -> true;
            default -> throw new CommandLine.ParameterException(spec.commandLine(),
                    "--format: '" + format + "' is not supported (supported: onnx, torchscript)");
        };
        if (checkBatch < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--check-batch must be >= 1, got " + checkBatch);
        }
        Precision chosen;
        try {
            chosen = Precision.parse(precision);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--precision: " + e.getMessage());
        }
        boolean int8 = chosen == Precision.INT8;
        if (int8 && torchScript) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--precision int8 is written as ONNX only; leave out --format torchscript");
        }
        if (chosen == Precision.BF16 && !torchScript) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--precision bf16 is written as TorchScript only (ONNX Runtime has no bf16 convolutions on CPUs); "
                            + "add --format torchscript");
        }
        if (int8 && calibration == null) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--precision int8 needs --calibration LIST (images to measure activation ranges on)");
        }
        if (!int8 && calibration != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--calibration is for --precision int8");
        }
        if (calibrationImages < 1 || checkImages < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--calibration-images must be >= 1 and --check-images >= 0");
        }
        if (!(percentile > 0 && percentile <= 100)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--calibration-percentile must be in (0, 100], got " + percentile);
        }
        Path target = out != null ? out : model.resolve(switch (chosen) {
            case INT8 -> "model-int8.onnx";
            case BF16 -> "model-bf16.pt";
            case FP32 -> torchScript ? "model.pt" : "model.onnx";
        });
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedModel deploy = ModelDirectory.load(model, manager);
            if (deploy.config().form() == Form.TRAIN) {
                VerifiedConversion.Result conversion = VerifiedConversion.run(deploy, manager, checkBatch, seed);
                out().println("conversion check: " + conversion.equivalence());
                if (!conversion.equivalence().holds()) {
                    throw new IllegalStateException("deploy form does not reproduce the train form ("
                            + conversion.equivalence() + "); nothing written");
                }
                deploy = conversion.deploy();
            }
            if (int8) {
                writeInt8(deploy, target);
                return 0;
            }
            if (torchScript) {
                writeTorchScript(deploy, chosen, target, manager);
                return 0;
            }
            byte[] onnx = OnnxExporter.toBytes(deploy.config(), NetworkWeights.of(deploy.network()));
            Equivalence check = writeVerified(target, onnx, deploy.network(), checkBatch, seed, threads, manager);
            out().println("onnxruntime check: " + OnnxRuntimeCheck.describe(check, checkBatch));
            if (!check.holds()) {
                throw new IllegalStateException("ONNX Runtime does not reproduce the network ("
                        + OnnxRuntimeCheck.describe(check, checkBatch) + "); " + target + " not written");
            }
            out().printf(Locale.ROOT, "wrote %s: RepVGG-%s deploy form, %d classes, input [batch, 3, %d, %d], opset %d, %.1f MB%n",
                    target, deploy.config().spec().name(), deploy.config().numClasses(),
                    deploy.config().preprocessing().inputSize(), deploy.config().preprocessing().inputSize(),
                    OnnxExporter.OPSET, onnx.length / 1e6);
        }
        return 0;
    }

    private void writeTorchScript(LoadedModel deploy, Precision precision, Path target, NDManager manager)
            throws IOException {
        boolean bf16 = precision == Precision.BF16;
        if (bf16 && !CpuFeatures.hasBf16()) {
            err().println("warning: this processor has neither AVX512-BF16 nor AMX-BF16; libtorch will emulate bf16 "
                    + "here, slower than fp32. The file runs at full speed on one that has them.");
        }
        int size = deploy.config().preprocessing().inputSize();
        Equivalence[] check = new Equivalence[1];
        double tolerance = bf16 ? TorchScriptExporter.BF16_TOLERANCE : Equivalence.DEFAULT_TOLERANCE;
        // Streamed tensor by tensor: B3's 0.5 GB need not sit in the Java heap twice.
        writeAtomically(target, stream -> TorchScriptExporter.write(deploy.config(), NetworkWeights.of(deploy.network()),
                precision, stream), staged -> {
            try (TorchScriptScorer loaded = TorchScriptScorer.open(staged)) {
                check[0] = ExportCheck.compare(deploy.network(), loaded, size, checkBatch, seed, tolerance, manager);
            }
            return check[0].holds();
        });
        String described = ExportCheck.describe(check[0], checkBatch, bf16 ? "torchscript bf16" : "torchscript");
        out().println("torchscript check: " + described);
        if (!check[0].holds()) {
            throw new IllegalStateException("the TorchScript file does not reproduce the network (" + described + "); "
                    + target + " not written");
        }
        out().printf(Locale.ROOT, "wrote %s: RepVGG-%s deploy form, TorchScript%s, %d classes, input [batch, 3, %d, %d], "
                + "%.1f MB%n", target, deploy.config().spec().name(), bf16 ? " bf16" : "", deploy.config().numClasses(), size, size,
                Files.size(target) / 1e6);
    }

    private void writeInt8(LoadedModel deploy, Path target) throws IOException {
        CalibrationImages images = CalibrationImages.load(calibration, calibrationImages, checkImages,
                deploy.config().preprocessing(), seed);
        out().printf(Locale.ROOT, "calibration: %d images from %s (%d more for the check, %d unreadable skipped), "
                + "ranges at the %s percentile of |x|%n", images.calibration().size(), calibration,
                images.check().size(), images.unreadable(), percentile >= 100 ? "100th (min/max)" : percentile + "th");
        Int8Exporter.Result result = Int8Exporter.export(deploy.config(), NetworkWeights.of(deploy.network()), images,
                percentile, threads);
        String where = images.check().isEmpty() ? " (no images left for the check: measured on the calibration images)" : "";
        out().println(result.agreement().describe() + where);
        if (result.agreement().top1Agreement() < minAgreement) {
            throw new IllegalStateException("int8 and fp32 agree on the top-1 class of only "
                    + String.format(Locale.ROOT, "%.1f%%", 100 * result.agreement().top1Agreement())
                    + " of the check images (--min-agreement " + minAgreement + "); " + target + " not written. "
                    + "Try more --calibration-images, another --calibration-percentile, or fp32");
        }
        byte[] bytes = result.toBytes();
        writeAtomically(target, bytes, staged -> {
            try (OnnxRuntimeRunner ort = OnnxRuntimeRunner.open(staged, threads)) {
                return true; // the written file itself loads
            }
        });
        out().printf(Locale.ROOT, "wrote %s: RepVGG-%s deploy form, int8 (QDQ), %d classes, input [batch, 3, %d, %d], "
                + "opset %d, %.1f MB%n", target, deploy.config().spec().name(), deploy.config().numClasses(),
                deploy.config().preprocessing().inputSize(), deploy.config().preprocessing().inputSize(),
                OnnxExporter.OPSET, bytes.length / 1e6);
    }

    /** Decides, from the staged file, whether it may replace the target. */
    interface StagedCheck {
        boolean accept(Path staged) throws IOException;
    }

    /** Writes a file's content to the stream it is given. */
    interface StagedWriter {
        void write(OutputStream out) throws IOException;
    }

    static boolean writeAtomically(Path target, byte[] bytes, StagedCheck check) throws IOException {
        return writeAtomically(target, out -> out.write(bytes), check);
    }

    /**
     * Writes a hidden sibling of {@code target} with {@code writer}, and moves it over {@code target}
     * only if {@code check} accepts that very file; nothing is left behind otherwise.
     */
    static boolean writeAtomically(Path target, StagedWriter writer, StagedCheck check) throws IOException {
        Path absolute = target.toAbsolutePath().normalize();
        if (Files.isDirectory(absolute)) {
            throw new IllegalArgumentException(target + " is a directory; --out names the file to write");
        }
        Files.createDirectories(absolute.getParent());
        // Not Files.createTempFile: its owner-only permissions would carry over to the export.
        Path staging = absolute.resolveSibling("." + absolute.getFileName() + "." + UUID.randomUUID() + ".writing");
        try {
            try (OutputStream out = new BufferedOutputStream(
                    Files.newOutputStream(staging, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), 1 << 20)) {
                writer.write(out);
            }
            boolean accepted = check.accept(staging);
            if (accepted) {
                Files.move(staging, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            return accepted;
        } finally {
            Files.deleteIfExists(staging);
        }
    }

    /**
     * Writes a hidden sibling of {@code target} first and runs that very file in ONNX Runtime against
     * {@code network}; only a file that passes replaces {@code target}, so a failed check leaves nothing
     * behind (and an older export intact). Returns the check either way.
     */
    static Equivalence writeVerified(Path target, byte[] onnx, RepVgg network, int checkBatch, long seed,
            int threads, NDManager manager) throws IOException {
        Equivalence[] check = new Equivalence[1];
        writeAtomically(target, onnx, staged -> {
            try (OnnxRuntimeRunner ort = OnnxRuntimeRunner.open(staged, threads)) {
                check[0] = OnnxRuntimeCheck.compare(network, ort, checkBatch, seed, Equivalence.DEFAULT_TOLERANCE, manager);
            }
            return check[0].holds();
        });
        return check[0];
    }
}
