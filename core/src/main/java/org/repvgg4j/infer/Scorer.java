package org.repvgg4j.infer;

/**
 * A classifier network behind one of our engines: logits for a batch of preprocessed images.
 * Implementations hold native resources; close them.
 */
public interface Scorer extends AutoCloseable {

    /**
     * Logits for {@code batch} images held one after the other in {@code nchw} (3 x size x size
     * floats each, normalised); one row of {@code classes} values per image.
     */
    float[][] logits(float[] nchw, int batch, int size);

    /** The engine name as users pick it: {@code pytorch} or {@code onnxruntime}. */
    String engine();

    @Override
    void close();
}
