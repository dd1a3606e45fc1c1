package org.repvgg4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import org.repvgg4j.bench.baselines.Baseline;
import org.repvgg4j.model.Complexity;
import org.repvgg4j.model.RepVgg;

/**
 * A network the bench times, with what its rows report: its name and form, its class count, its
 * trainable parameters and its multiply-adds per image at the timed input size.
 */
public record TimedNetwork(String model, String form, Block block, int numClasses, long params, long macsPerImage) {

    /** The form reported for the baselines, which have a single form. */
    public static final String BASELINE_FORM = "baseline";

    public static TimedNetwork of(RepVgg net, String label, int inputSize) {
        Complexity cost = Complexity.of(net.spec(), net.form(), net.numClasses(), inputSize);
        return new TimedNetwork(label, net.form().id(), net, net.numClasses(), cost.params(), cost.macs());
    }

    /** Builds and initialises {@code baseline} with random weights for {@code inputSize} inputs. */
    public static TimedNetwork of(Baseline baseline, int numClasses, int inputSize, NDManager manager) {
        Block block = baseline.build(numClasses);
        block.initialize(manager, DataType.FLOAT32, new Shape(1, 3, inputSize, inputSize));
        return new TimedNetwork(baseline.label(), BASELINE_FORM, block, numClasses, trainableParameters(block),
                baseline.macs(inputSize, numClasses));
    }

    /** What an optimiser updates: every parameter except batch-norm running statistics. */
    public static long trainableParameters(Block block) {
        return block.getParameters().values().stream()
                .filter(p -> p.getType() != Parameter.Type.RUNNING_MEAN && p.getType() != Parameter.Type.RUNNING_VAR)
                .mapToLong(p -> p.getArray().size())
                .sum();
    }

    /** Logits for an NCHW batch in inference mode. */
    public NDArray infer(NDArray input) {
        return block.forward(new ParameterStore(input.getManager(), false), new NDList(input), false).singletonOrThrow();
    }
}
