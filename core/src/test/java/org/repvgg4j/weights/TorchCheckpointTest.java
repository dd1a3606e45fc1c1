package org.repvgg4j.weights;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.repvgg4j.weights.TorchUnpickler.TensorRef;

/** The zip reader on tensors.pth: every dtype, views with offsets and strides, exact values. */
class TorchCheckpointTest {

    private static Map<String, NDArray> readAll(NDManager manager) throws IOException {
        Map<String, NDArray> out = new LinkedHashMap<>();
        try (TorchCheckpoint checkpoint = TorchCheckpoint.open(TorchFixtures.file("tensors.pth"))) {
            Map<?, ?> root = (Map<?, ?>) checkpoint.root();
            for (Map.Entry<?, ?> e : root.entrySet()) {
                out.put((String) e.getKey(), checkpoint.materialize((TensorRef) e.getValue(), (String) e.getKey(), manager));
            }
        }
        return out;
    }

    @Test
    void keepsThePickledOrderOfAnOrderedDict() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThat(readAll(manager).keySet()).containsExactly(
                    "transposed", "whole", "window", "half", "bf16", "double", "count", "scalar");
        }
    }

    @Test
    void gathersNonContiguousAndOffsetViewsInCOrder() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> t = readAll(manager);
            // arange(12).reshape(3, 4).t(): shape (4, 3), strides (1, 4)
            assertThat(t.get("transposed").getShape()).isEqualTo(new Shape(4, 3));
            assertThat(t.get("transposed").toFloatArray())
                    .containsExactly(0f, 4f, 8f, 1f, 5f, 9f, 2f, 6f, 10f, 3f, 7f, 11f);
            assertThat(t.get("whole").toFloatArray()).containsExactly(0f, 1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f);
            // base[4:7]: the same storage from offset 4
            assertThat(t.get("window").toFloatArray()).containsExactly(4f, 5f, 6f);
        }
    }

    @Test
    void widensHalfAndBfloat16AndNarrowsDoubleToFloat32() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> t = readAll(manager);
            assertThat(t.get("half").getDataType()).isEqualTo(DataType.FLOAT32);
            assertThat(t.get("half").toFloatArray()).containsExactly(1.5f, -2.25f, 65504f, 0x1p-24f);
            assertThat(t.get("bf16").toFloatArray()).containsExactly(1f, -3.5f, 0x1p100f);
            assertThat(t.get("double").getShape()).isEqualTo(new Shape(2, 1));
            assertThat(t.get("double").toFloatArray()).containsExactly(0.5f, -0.25f);
        }
    }

    @Test
    void keepsIntegersExactAndScalarsZeroDimensional() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> t = readAll(manager);
            assertThat(t.get("count").getDataType()).isEqualTo(DataType.INT64);
            assertThat(t.get("count").getShape()).isEqualTo(new Shape());
            assertThat(t.get("count").toLongArray()).containsExactly(1234L);
            assertThat(t.get("scalar").getShape().dimension()).isZero();
            assertThat(t.get("scalar").toFloatArray()).containsExactly(3f);
        }
    }

    @Test
    void halfPrecisionDecodesSpecialValues() {
        assertThat(TorchDtype.halfToFloat((short) 0x7c00)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(TorchDtype.halfToFloat((short) 0xfc00)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(TorchDtype.halfToFloat((short) 0x7e00)).isNaN();
        assertThat(TorchDtype.halfToFloat((short) 0x8000)).isEqualTo(-0f);
        assertThat(TorchDtype.halfToFloat((short) 0x3555)).isEqualTo(0.33325195f);
        assertThat(TorchDtype.halfToFloat((short) 0x03ff)).isEqualTo(1023 * 0x1p-24f);
    }
}
