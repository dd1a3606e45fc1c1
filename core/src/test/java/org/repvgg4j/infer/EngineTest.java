package org.repvgg4j.infer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.platform.CpuFeatures;

class EngineTest {

    @Test
    void oneDnnIsTheDefaultWithAvx512ForLargeEnoughInputsWithoutSqueezeExcitation() {
        RepVggSpec a0 = RepVggSpec.parse("A0");
        RepVggSpec d2se = RepVggSpec.parse("D2se");
        Engine expected = CpuFeatures.hasAvx512() ? Engine.ONEDNN : Engine.ONNXRUNTIME;

        assertThat(Engine.DEFAULT).isEqualTo(expected);
        assertThat(Engine.defaultFor(a0, 224)).isEqualTo(expected);
        assertThat(Engine.defaultFor(a0, Engine.ONEDNN_MIN_INPUT)).isEqualTo(expected);
        assertThat(Engine.defaultFor(a0, Engine.ONEDNN_MIN_INPUT - 1)).isEqualTo(Engine.ONNXRUNTIME);
        assertThat(Engine.defaultFor(a0, 48)).isEqualTo(Engine.ONNXRUNTIME);
        assertThat(Engine.defaultFor(d2se, 224)).isEqualTo(Engine.ONNXRUNTIME);
    }

    @Test
    void parsesTheThreeEngines() {
        assertThat(Engine.parse(" OneDNN ")).isEqualTo(Engine.ONEDNN);
        assertThat(Engine.parse("onnxruntime")).isEqualTo(Engine.ONNXRUNTIME);
        assertThatThrownBy(() -> Engine.parse("tensorrt")).hasMessageContaining("pytorch, onnxruntime or onednn");
    }
}
