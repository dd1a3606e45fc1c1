package org.repvgg4j.api;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.repvgg4j.data.ImageTransform;
import org.repvgg4j.data.RgbImage;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.weights.Preprocessing;

/**
 * A model directory's network as DJL runs it: preprocessed float NCHW input goes straight to the
 * network; decoded 8-bit pixels (NHWC uint8, what DJL's default image translator hands over when
 * {@code serving.properties} says {@code toTensor=false}) first get model.json's preprocessing, computed
 * by the same code as {@link RepVggModel}'s. That is how {@code Criteria} with nothing but the model
 * path gives our answers: DJL picks its own translator for {@code Image -> Classifications} and reads
 * a {@code translatorFactory} from {@code serving.properties} only for DJL Serving's {@code Input/Output}.
 */
final class PreprocessingBlock extends AbstractBlock {

    private final RepVgg network;
    private final ImageTransform transform;

    PreprocessingBlock(RepVgg network, Preprocessing preprocessing) {
        this.network = addChildBlock("network", network);
        this.transform = ImageTransform.eval(preprocessing);
        inputNames = java.util.List.of("images");
        inputShapes = new Shape[] {new Shape(-1, 3, preprocessing.inputSize(), preprocessing.inputSize())};
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        if (x.getDataType() != DataType.UINT8) {
            return network.forward(store, inputs, training, params);
        }
        long[] s = x.getShape().getShape();
        if (s.length != 4 || s[3] != 3) {
            throw new IllegalArgumentException("expected decoded RGB images [batch, height, width, 3] (uint8), got "
                    + x.getShape());
        }
        int n = (int) s[0];
        int h = (int) s[1];
        int w = (int) s[2];
        int size = transform.size();
        int per = 3 * size * size;
        byte[] pixels = x.toByteArray();
        float[] nchw = new float[n * per];
        for (int i = 0; i < n; i++) {
            byte[] one = java.util.Arrays.copyOfRange(pixels, i * h * w * 3, (i + 1) * h * w * 3);
            System.arraycopy(transform.apply(new RgbImage(w, h, one), null), 0, nchw, i * per, per);
        }
        NDArray input = x.getManager().create(nchw, new Shape(n, 3, size, size));
        return network.forward(store, new NDList(input), training, params);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return network.getOutputShapes(new Shape[] {this.inputShapes[0]});
    }
}
