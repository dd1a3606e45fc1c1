package org.repvgg4j.weights;

import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVggSpec;

/**
 * Works out which RepVGG a state dict (official keys) belongs to from its shapes: blocks per
 * stage, stem and stage widths, grouped layers and SE. A paper variant when everything matches
 * one, otherwise a custom spec.
 */
public final class ArchDetector {

    private ArchDetector() {}

    public static RepVggSpec detect(Map<String, Shape> shapes, Form form, String source) {
        Shape stem = shapes.get(kernelKey("stage0.", form));
        if (stem == null || stem.dimension() != 4) {
            throw new IllegalArgumentException(source + ": cannot tell the architecture: no stem kernel '"
                    + kernelKey("stage0.", form) + "'; pass --arch");
        }
        int stemChannels = (int) stem.get(0);
        List<Integer> depths = new ArrayList<>();
        List<Double> widths = new ArrayList<>();
        Map<Integer, Integer> groupsByLayer = new TreeMap<>();
        int in = stemChannels;
        int layer = 1;
        for (int stage = 1; stage <= 4; stage++) {
            int depth = 0;
            int channels = 0;
            Shape kernel;
            while ((kernel = shapes.get(kernelKey("stage" + stage + "." + depth + ".", form))) != null) {
                channels = (int) kernel.get(0);
                int perGroup = (int) kernel.get(1);
                if (perGroup < 1 || in % perGroup != 0) {
                    throw new IllegalArgumentException(source + ": block stage" + stage + "." + depth + " has a "
                            + kernel + " kernel after " + in + " channels; not a RepVGG");
                }
                if (in / perGroup > 1) {
                    groupsByLayer.put(layer, in / perGroup);
                }
                in = channels;
                depth++;
                layer++;
            }
            if (depth == 0) {
                throw new IllegalArgumentException(source + ": cannot tell the architecture: stage " + stage
                        + " has no blocks ('" + kernelKey("stage" + stage + ".0.", form) + "' is missing); pass --arch");
            }
            depths.add(depth);
            widths.add((double) channels / RepVggSpec.BASE_WIDTHS.get(stage - 1));
        }
        int expectedStem = Math.min(64, (int) (64 * widths.get(0)));
        if (expectedStem != stemChannels) {
            throw new IllegalArgumentException(source + ": the stem has " + stemChannels + " channels, but RepVGG's "
                    + "rule min(64, stage-1 width) gives " + expectedStem + "; not a RepVGG we can build");
        }
        int groups = groups(groupsByLayer, layer - 1, source);
        boolean se = shapes.containsKey("stage0.se.down.weight");
        for (RepVggSpec official : RepVggSpec.officialVariants()) {
            if (official.depths().equals(depths) && official.widths().equals(widths)
                    && official.groups() == groups && official.se() == se) {
                return official;
            }
        }
        return RepVggSpec.custom(depths, widths, groups, se);
    }

    /** RepVGG groups layers 2, 4, 6, ... alike; anything else is not a spec we can build. */
    private static int groups(Map<Integer, Integer> groupsByLayer, int layers, String source) {
        if (groupsByLayer.isEmpty()) {
            return 1;
        }
        Set<Integer> values = new TreeSet<>(groupsByLayer.values());
        Set<Integer> expected = new TreeSet<>();
        for (int l : RepVggSpec.GROUPED_LAYERS) {
            if (l <= layers) {
                expected.add(l);
            }
        }
        if (values.size() != 1 || !groupsByLayer.keySet().equals(expected)) {
            throw new IllegalArgumentException(source + ": grouped convolutions on layers " + groupsByLayer
                    + " (layer: groups) do not follow RepVGG's pattern (layers " + expected
                    + " grouped alike); not a RepVGG we can build");
        }
        return values.iterator().next();
    }

    static String kernelKey(String blockPrefix, Form form) {
        return blockPrefix + (form == Form.TRAIN ? "rbr_dense.conv.weight" : "rbr_reparam.weight");
    }
}
