package org.repvgg4j.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.repvgg4j.reparam.VerifiedConversion;
import org.repvgg4j.weights.LoadedModel;
import org.repvgg4j.weights.ModelDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Re-parameterize a train-form model into its deploy form (one 3x3 conv per block).",
            "Both forms run on the same random batch; the deploy model is written only if their outputs",
            "agree within 1e-4 of the output scale."})
final class ConvertCommand extends Subcommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "train-form model directory")
    Path model;

    @Option(names = "--out", required = true, description = "deploy-form model directory to write")
    Path out;

    @Option(names = "--check-batch", defaultValue = "2", description = "images in the check batch (default: ${DEFAULT-VALUE})")
    int checkBatch;

    @Option(names = "--seed", defaultValue = "0", description = "seed of the check batch (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (model.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("--out must differ from --model (the train model is kept)");
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedModel train = ModelDirectory.load(model, manager);
            VerifiedConversion.Result result = VerifiedConversion.run(train, manager, checkBatch, seed);
            out().println("check: " + result.equivalence());
            if (!result.equivalence().holds()) {
                throw new IllegalStateException("deploy form does not reproduce the train form ("
                        + result.equivalence() + "); nothing written");
            }
            ModelDirectory.write(out, result.deploy().config(), result.weights());
            out().printf("wrote %s: RepVGG-%s, deploy form%n", out, train.config().spec().name());
        }
        return 0;
    }
}
