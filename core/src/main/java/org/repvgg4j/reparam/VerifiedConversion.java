package org.repvgg4j.reparam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.weights.LoadedModel;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.NetworkWeights;
import org.repvgg4j.weights.StateDict;

/**
 * Converts a train-form model to deploy form and proves it: both forms run on a seeded random
 * batch at the model's input size, and the result says how far apart they came out.
 */
public final class VerifiedConversion {

    /** The deploy model (config and network on the caller's manager) and the measured agreement. */
    public record Result(LoadedModel deploy, Equivalence equivalence) {

        public StateDict weights() {
            return NetworkWeights.of(deploy.network());
        }
    }

    private VerifiedConversion() {}

    public static Result run(LoadedModel train, NDManager manager, int checkBatch, long seed) {
        ModelConfig config = train.config();
        if (config.form() != Form.TRAIN) {
            throw new IllegalArgumentException("the model is already in deploy form; nothing to convert");
        }
        int size = config.preprocessing().inputSize();
        RepVgg deploy = new RepVgg(config.spec(), Form.DEPLOY, config.numClasses());
        deploy.initialize(manager, size);
        try (NDManager scope = manager.newSubManager()) {
            StateDict fused = DeployConverter.convert(config.spec(), NetworkWeights.of(train.network()), scope);
            NetworkWeights.load(deploy, fused, "converted weights");
        }
        Equivalence equivalence;
        try (NDManager scope = manager.newSubManager()) {
            NDArray input = EquivalenceCheck.randomInput(scope, checkBatch, size, seed);
            equivalence = EquivalenceCheck.compare(train.network(), deploy, input, Equivalence.DEFAULT_TOLERANCE);
        }
        Map<String, String> provenance = new LinkedHashMap<>();
        provenance.put("converted_from", "train form");
        provenance.put("conversion_check", String.format(Locale.ROOT,
                "max abs diff %.3g on outputs up to %.3g (relative %.3g), batch %d at %dx%d, seed %d",
                equivalence.maxAbsDifference(), equivalence.maxAbsOutput(), equivalence.relativeDifference(),
                checkBatch, size, size, seed));
        ModelConfig deployConfig = config.withForm(Form.DEPLOY).withProvenance(provenance);
        return new Result(new LoadedModel(deployConfig, deploy), equivalence);
    }
}
