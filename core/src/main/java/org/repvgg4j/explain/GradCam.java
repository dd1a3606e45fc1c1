package org.repvgg4j.explain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.nio.DoubleBuffer;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.repvgg4j.infer.Scores;
import org.repvgg4j.model.BlockPlan;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggBlock;

/**
 * Grad-CAM (Selvaraju et al., ICCV 2017): which positions of a block's output raised one class's
 * score. The block's output {@code A} ({@code C x h x w}) is weighted per channel by the mean over
 * positions of {@code d score / d A}; the weighted sum over channels, clipped at zero, is the map.
 * For the last block, followed only by the global pool and the linear head, that is the classifier's
 * weight row over {@code h * w}: the original CAM of Zhou et al.
 *
 * <p>It runs on a float64 copy of the network. Float64 convolutions use ATen's own kernels rather
 * than oneDNN's, whose strided input gradients are wrong for some shapes on some machines
 * (docs/BENCHMARKS.md, "Wrong convolutions"), and a map over one image costs little either way.
 */
public final class GradCam implements AutoCloseable {

    /**
     * One image's map.
     *
     * @param classIndex the class whose score was explained
     * @param logits the network's logits for the image
     * @param height rows of the map (the block's output height)
     * @param width columns of the map
     * @param values the map, row-major, zero or more
     */
    public record ClassMap(int classIndex, double[] logits, int height, int width, double[] values) {

        public double at(int row, int column) {
            return values[row * width + column];
        }

        /** Softmax probability of the explained class. */
        public double probability() {
            return Scores.softmax(logits)[classIndex];
        }
    }

    private final NDManager manager;
    private final RepVgg network;
    private final int target;

    private GradCam(NDManager manager, RepVgg network, int target) {
        this.manager = manager;
        this.network = network;
        this.target = target;
    }

    /**
     * A Grad-CAM over the output of {@code layer} (see {@link #blockIndex}) of {@code source}, whose
     * weights are copied to float64 on a sub-manager of {@code parent}.
     */
    public static GradCam of(RepVgg source, String layer, NDManager parent) {
        int target = blockIndex(source, layer);
        NDManager manager = parent.newSubManager();
        try {
            RepVgg twin = new RepVgg(source.spec(), source.form(), source.numClasses());
            twin.initialize(manager, DataType.FLOAT64, new Shape(1, 3, 32, 32));
            Map<String, Parameter> to = twin.stateDict();
            for (Map.Entry<String, Parameter> e : source.stateDict().entrySet()) {
                NDArray into = to.get(e.getKey()).getArray();
                try (NDArray wide = e.getValue().getArray().toType(DataType.FLOAT64, true)) {
                    into.set(DoubleBuffer.wrap(wide.toDoubleArray()));
                }
                // Only the block output's gradient is wanted, not the weights'.
                into.setRequiresGradient(false);
            }
            return new GradCam(manager, twin, target);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * The block a layer name points at, by its official prefix: {@code stage4} is the last block of
     * stage 4 (the usual choice, the last convolutional features), {@code stage3.5} is block 5 of
     * stage 3, {@code stage0} the stem.
     */
    public static int blockIndex(RepVgg network, String layer) {
        List<RepVggBlock> blocks = network.blocks();
        String name = layer.trim();
        int found = -1;
        for (int i = 0; i < blocks.size(); i++) {
            BlockPlan plan = blocks.get(i).plan();
            String prefix = plan.keyPrefix();
            if (prefix.equals(name + ".") || ("stage" + plan.stage()).equals(name)) {
                found = i;
            }
        }
        if (found < 0) {
            String stages = blocks.stream().map(b -> "stage" + b.plan().stage()).distinct()
                    .collect(Collectors.joining(", "));
            throw new IllegalArgumentException("no layer '" + layer + "' in RepVGG-" + network.spec().name()
                    + "; give a stage (" + stages + ") or one block of it (stage" + blocks.get(blocks.size() - 1)
                    .plan().stage() + ".0, ...)");
        }
        return found;
    }

    /** The block whose output is explained, by its official name (no trailing dot). */
    public String layerName() {
        String prefix = network.blocks().get(target).plan().keyPrefix();
        return prefix.substring(0, prefix.length() - 1);
    }

    /**
     * The map for one preprocessed image ({@code 3 x size x size} floats, CHW) and class
     * {@code classIndex}, or the top-scoring class if it is negative.
     */
    public ClassMap explain(float[] chw, int size, int classIndex) {
        if (chw.length != 3 * size * size) {
            throw new IllegalArgumentException("expected 3 x " + size + " x " + size + " values, got " + chw.length);
        }
        if (classIndex >= network.numClasses()) {
            throw new IllegalArgumentException("class " + classIndex + " is out of range (the model has "
                    + network.numClasses() + " classes)");
        }
        double[] input = new double[chw.length];
        for (int i = 0; i < chw.length; i++) {
            input[i] = chw[i];
        }
        List<RepVggBlock> blocks = network.blocks();
        try (NDManager scope = manager.newSubManager()) {
            ParameterStore store = new ParameterStore(scope, false);
            NDArray x = scope.create(input, new Shape(1, 3, size, size));
            for (int i = 0; i <= target; i++) {
                x = blocks.get(i).forward(store, new NDList(x), false).singletonOrThrow();
            }
            NDArray features = x;
            try (GradientCollector collector = scope.getEngine().newGradientCollector()) {
                features.setRequiresGradient(true);
                NDArray y = features;
                for (int i = target + 1; i < blocks.size(); i++) {
                    y = blocks.get(i).forward(store, new NDList(y), false).singletonOrThrow();
                }
                NDArray logits = network.head(store, y, false);
                double[] scores = logits.toType(DataType.FLOAT64, false).toDoubleArray();
                int chosen = classIndex >= 0 ? classIndex : Scores.argmax(scores);
                collector.backward(logits.get(0, chosen));
                Shape shape = features.getShape();
                NDArray weights = features.getGradient().reshape(shape.get(0), shape.get(1), -1).mean(new int[] {2})
                        .reshape(shape.get(0), shape.get(1), 1, 1);
                NDArray map = features.mul(weights).sum(new int[] {1}).maximum(0);
                return new ClassMap(chosen, scores, (int) shape.get(2), (int) shape.get(3), map.toDoubleArray());
            }
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
