package org.repvgg4j.infer;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import org.repvgg4j.model.RepVgg;

/** A RepVGG network from a model directory, run on DJL's PyTorch engine. */
public final class RepVggScorer implements Scorer {

    private final RepVgg network;
    private final NDManager manager;

    /** {@code manager} holds the network's weights; batches run in sub-managers of it. */
    public RepVggScorer(RepVgg network, NDManager manager) {
        this.network = network;
        this.manager = manager;
    }

    @Override
    public float[][] logits(float[] nchw, int batch, int size) {
        // Grad mode is per thread in PyTorch and DJL switches it off only on the thread that started
        // the engine; a pipeline may call us from another one, where autograd would keep every
        // intermediate alive.
        JniUtils.setGradMode(false);
        try (NDManager scope = manager.newSubManager()) {
            float[] flat = network.infer(scope.create(nchw, new Shape(batch, 3, size, size))).toFloatArray();
            return rows(flat, batch);
        }
    }

    static float[][] rows(float[] flat, int batch) {
        int classes = flat.length / batch;
        float[][] out = new float[batch][];
        for (int i = 0; i < batch; i++) {
            out[i] = java.util.Arrays.copyOfRange(flat, i * classes, (i + 1) * classes);
        }
        return out;
    }

    @Override
    public String engine() {
        return Engine.PYTORCH.id();
    }

    @Override
    public void close() {
        manager.close();
    }
}
