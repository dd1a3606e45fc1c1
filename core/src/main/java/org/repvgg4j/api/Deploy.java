package org.repvgg4j.api;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.repvgg4j.export.ExportCheck;
import org.repvgg4j.export.OnnxExporter;
import org.repvgg4j.export.OnnxRuntimeCheck;
import org.repvgg4j.export.Precision;
import org.repvgg4j.export.TorchScriptExporter;
import org.repvgg4j.infer.OnnxRuntimeRunner;
import org.repvgg4j.infer.TorchScriptScorer;
import org.repvgg4j.model.Form;
import org.repvgg4j.reparam.Equivalence;
import org.repvgg4j.reparam.VerifiedConversion;
import org.repvgg4j.weights.LoadedModel;
import org.repvgg4j.weights.ModelDirectory;
import org.repvgg4j.weights.NetworkWeights;

/**
 * From a trained model to the files a service runs: {@link #convert} folds the train form's branches
 * into the plain deploy network ({@code repvgg convert}), {@link #verify} checks that the two agree
 * without writing anything, {@link #export} writes ONNX or TorchScript ({@code repvgg export}). Every
 * result is checked before it is written; nothing is written when a check fails.
 *
 * <pre>{@code
 * Deploy.Check check = Deploy.convert(Path.of("runs/flowers/best"), Path.of("models/flowers"));
 * System.out.println("deploy form within " + check.relativeDifference() + " of the train form");
 * Path onnx = Deploy.export(Path.of("models/flowers"), ExportFormat.ONNX, null);
 * }</pre>
 */
public final class Deploy {

    /** Images in the random batch each check runs. */
    private static final int CHECK_BATCH = 2;
    private static final long CHECK_SEED = 0;

    private Deploy() {
    }

    /**
     * How closely a converted or exported network reproduces the original on a random batch.
     *
     * @param maxAbsDifference the largest absolute difference between the two outputs
     * @param relativeDifference that difference relative to the largest absolute output
     * @param tolerance the largest relative difference that passes
     * @param holds whether the check passed
     */
    public record Check(double maxAbsDifference, double relativeDifference, double tolerance, boolean holds) {

        static Check of(Equivalence e) {
            return new Check(e.maxAbsDifference(), e.relativeDifference(), e.tolerance(), e.holds());
        }
    }

    /**
     * Converts the train-form model directory {@code trainModel} into a deploy-form one at {@code
     * deployModel} (replaced if it is a model directory), after checking that the two agree.
     *
     * @throws IllegalArgumentException if the two paths are the same (the train model is kept)
     * @throws IllegalStateException if the deploy form does not reproduce the train form (nothing written)
     * @throws IOException if a directory cannot be read or written, or {@code deployModel} exists and is not a model directory
     */
    public static Check convert(Path trainModel, Path deployModel) throws IOException {
        if (trainModel.toAbsolutePath().normalize().equals(deployModel.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException(deployModel + ": the deploy model needs its own directory (the train "
                    + "model is kept)");
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            VerifiedConversion.Result result = VerifiedConversion.run(ModelDirectory.load(trainModel, manager), manager,
                    CHECK_BATCH, CHECK_SEED);
            if (!result.equivalence().holds()) {
                throw new IllegalStateException(trainModel + ": the deploy form does not reproduce the train form ("
                        + result.equivalence() + "); nothing written");
            }
            ModelDirectory.write(deployModel, result.deploy().config(), result.weights());
            return Check.of(result.equivalence());
        }
    }

    /** Converts {@code trainModel} in memory and says how closely the deploy form reproduces it; writes nothing. */
    public static Check verify(Path trainModel) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            return Check.of(VerifiedConversion.run(ModelDirectory.load(trainModel, manager), manager, CHECK_BATCH,
                    CHECK_SEED).equivalence());
        }
    }

    /**
     * Writes the deploy network of the model directory {@code model} (converted first if it holds the
     * train form) as {@code format} to {@code target}, or into the directory under {@link
     * ExportFormat#defaultFileName()} when {@code target} is null. The file is loaded back into its
     * engine and checked against the network before it replaces {@code target}.
     *
     * @return the file written
     * @throws IllegalStateException if the exported file does not reproduce the network (nothing written)
     */
    public static Path export(Path model, ExportFormat format, Path target) throws IOException {
        Path file = target != null ? target : model.resolve(format.defaultFileName());
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedModel deploy = ModelDirectory.load(model, manager);
            if (deploy.config().form() == Form.TRAIN) {
                VerifiedConversion.Result conversion = VerifiedConversion.run(deploy, manager, CHECK_BATCH, CHECK_SEED);
                if (!conversion.equivalence().holds()) {
                    throw new IllegalStateException(model + ": the deploy form does not reproduce the train form ("
                            + conversion.equivalence() + "); nothing written");
                }
                deploy = conversion.deploy();
            }
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Path staged = Files.createTempFile(parent, "." + file.getFileName(), ".writing");
            try {
                Equivalence check = switch (format) {
                    case ONNX -> {
                        Files.write(staged, OnnxExporter.toBytes(deploy.config(), NetworkWeights.of(deploy.network())));
                        try (OnnxRuntimeRunner ort = OnnxRuntimeRunner.open(staged, 0)) {
                            yield OnnxRuntimeCheck.compare(deploy.network(), ort, CHECK_BATCH, CHECK_SEED,
                                    Equivalence.DEFAULT_TOLERANCE, manager);
                        }
                    }
                    case TORCHSCRIPT -> {
                        try (OutputStream out = Files.newOutputStream(staged)) {
                            TorchScriptExporter.write(deploy.config(), NetworkWeights.of(deploy.network()),
                                    Precision.FP32, out);
                        }
                        try (TorchScriptScorer loaded = TorchScriptScorer.open(staged)) {
                            yield ExportCheck.compare(deploy.network(), loaded, deploy.config().preprocessing()
                                    .inputSize(), CHECK_BATCH, CHECK_SEED, Equivalence.DEFAULT_TOLERANCE, manager);
                        }
                    }
                };
                if (!check.holds()) {
                    throw new IllegalStateException(model + ": the " + format.name().toLowerCase(java.util.Locale.ROOT)
                            + " file does not reproduce the network (" + check + "); " + file + " not written");
                }
                Files.move(staged, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                return file;
            } finally {
                Files.deleteIfExists(staged);
            }
        }
    }
}
