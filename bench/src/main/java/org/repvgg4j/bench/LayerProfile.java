package org.repvgg4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import org.repvgg4j.model.BlockPlan;
import org.repvgg4j.model.Complexity;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggBlock;
import org.repvgg4j.reparam.EquivalenceCheck;

/**
 * Where a RepVGG forward pass spends its time: each block timed on its own (PyTorch's CPU kernels
 * run synchronously, so the clock around one block's call is that block's work), and the global
 * pool + linear head as the rest of a whole forward pass timed in the same run.
 */
public final class LayerProfile {

    /** The row for everything after the last block. */
    public static final String HEAD = "pool+linear";

    private LayerProfile() {}

    public static List<LayerTime> run(RepVgg net, int batch, int inputSize, int warmup, int iterations,
            NDManager manager) {
        List<RepVggBlock> blocks = net.blocks();
        List<List<Double>> blockMillis = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            blockMillis.add(new ArrayList<>());
        }
        List<Double> wholeMillis = new ArrayList<>();
        try (NDManager scope = manager.newSubManager()) {
            NDArray input = EquivalenceCheck.randomInput(scope, batch, inputSize, 0);
            ParameterStore store = new ParameterStore(scope, false);
            for (int run = 0; run < warmup + iterations; run++) {
                try (NDManager step = scope.newSubManager()) {
                    NDList x = new NDList(input);
                    for (int i = 0; i < blocks.size(); i++) {
                        long start = System.nanoTime();
                        NDList y = blocks.get(i).forward(store, x, false);
                        long elapsed = System.nanoTime() - start;
                        y.attach(step);
                        if (x.get(0) != input) {
                            x.close();
                        }
                        x = y;
                        if (run >= warmup) {
                            blockMillis.get(i).add(elapsed / 1e6);
                        }
                    }
                    x.close();
                    NDArray copy = input.duplicate();
                    copy.attach(step);
                    long start = System.nanoTime();
                    net.infer(copy).toFloatArray();
                    long elapsed = System.nanoTime() - start;
                    if (run >= warmup) {
                        wholeMillis.add(elapsed / 1e6);
                    }
                }
            }
        }
        List<LayerTime> rows = new ArrayList<>();
        int size = inputSize;
        double blocksTotal = 0;
        for (int i = 0; i < blocks.size(); i++) {
            BlockPlan plan = blocks.get(i).plan();
            size = plan.outputSize(size);
            double ms = Medians.of(blockMillis.get(i));
            blocksTotal += ms;
            String name = plan.keyPrefix().substring(0, plan.keyPrefix().length() - 1);
            rows.add(new LayerTime(name, plan.outChannels(), size, Complexity.blockMacs(plan, net.form(), size), ms));
        }
        long headMacs = (long) net.spec().featureChannels() * net.numClasses();
        rows.add(new LayerTime(HEAD, net.numClasses(), 1, headMacs, Math.max(0, Medians.of(wholeMillis) - blocksTotal)));
        return rows;
    }

}
