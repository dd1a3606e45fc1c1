package org.repvgg4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.repvgg4j.export.OnnxExporter;
import org.repvgg4j.export.OnnxRuntimeCheck;
import org.repvgg4j.infer.OnnxRuntimeRunner;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
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
            "class names and preprocessing in the model's metadata_props.",
            "A train-form model is converted and verified first. The file is then run in",
            "ONNX Runtime on a random batch and kept only if its logits equal ours (DJL)",
            "within 1e-4 of the output scale."})
final class ExportCommand extends Subcommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "model directory, train or deploy form")
    Path model;

    @Option(names = "--format", defaultValue = "onnx", description = "export format; only onnx (default: ${DEFAULT-VALUE})")
    String format;

    @Option(names = "--out", description = "file to write (default: model.onnx in the model directory)")
    Path out;

    @Option(names = "--check-batch", defaultValue = "2", description = "images in the check batch (default: ${DEFAULT-VALUE})")
    int checkBatch;

    @Option(names = "--seed", defaultValue = "0", description = "seed of the check batch (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--threads", defaultValue = "0",
            description = "ONNX Runtime intra-op threads for the check (default: ${DEFAULT-VALUE}, ONNX Runtime's choice)")
    int threads;

    @Override
    public Integer call() throws Exception {
        if (!"onnx".equalsIgnoreCase(format)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--format: '" + format + "' is not supported (supported: onnx)");
        }
        if (checkBatch < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--check-batch must be >= 1, got " + checkBatch);
        }
        Path target = out != null ? out : model.resolve("model.onnx");
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

    /**
     * Writes a hidden sibling of {@code target} first and runs that very file in ONNX Runtime against
     * {@code network}; only a file that passes replaces {@code target}, so a failed check leaves nothing
     * behind (and an older export intact). Returns the check either way.
     */
    static Equivalence writeVerified(Path target, byte[] onnx, RepVgg network, int checkBatch, long seed,
            int threads, NDManager manager) throws IOException {
        Path absolute = target.toAbsolutePath().normalize();
        if (Files.isDirectory(absolute)) {
            throw new IllegalArgumentException(target + " is a directory; --out names the .onnx file to write");
        }
        Files.createDirectories(absolute.getParent());
        // Not Files.createTempFile: its owner-only permissions would carry over to the export.
        Path staging = absolute.resolveSibling("." + absolute.getFileName() + "." + UUID.randomUUID() + ".writing");
        try {
            Files.write(staging, onnx, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            Equivalence check;
            try (OnnxRuntimeRunner ort = OnnxRuntimeRunner.open(staging, threads)) {
                check = OnnxRuntimeCheck.compare(network, ort, checkBatch, seed, Equivalence.DEFAULT_TOLERANCE, manager);
            }
            if (check.holds()) {
                Files.move(staging, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            return check;
        } finally {
            Files.deleteIfExists(staging);
        }
    }
}
