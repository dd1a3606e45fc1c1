package org.repvgg4j.weights;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The three naming schemes map to the official names, tensor by tensor. */
class KeyLayoutTest {

    @Test
    void timmNamesMapToOfficialNames() {
        KeyLayout timm = KeyLayout.TIMM;
        assertThat(timm.toOfficial("stem.conv_kxk.conv.weight")).isEqualTo("stage0.rbr_dense.conv.weight");
        assertThat(timm.toOfficial("stem.conv_1x1.bn.running_var")).isEqualTo("stage0.rbr_1x1.bn.running_var");
        assertThat(timm.toOfficial("stages.0.1.identity.weight")).isEqualTo("stage1.1.rbr_identity.weight");
        assertThat(timm.toOfficial("stages.2.13.reparam_conv.bias")).isEqualTo("stage3.13.rbr_reparam.bias");
        assertThat(timm.toOfficial("stages.3.0.attn.fc1.weight")).isEqualTo("stage4.0.se.down.weight");
        assertThat(timm.toOfficial("stages.3.0.attn.fc2.bias")).isEqualTo("stage4.0.se.up.bias");
        assertThat(timm.toOfficial("head.fc.weight")).isEqualTo("linear.weight");
    }

    @Test
    void mmclsNamesMapToOfficialNames() {
        KeyLayout mm = KeyLayout.MMCLS;
        assertThat(mm.toOfficial("backbone.stem.branch_3x3.conv.weight")).isEqualTo("stage0.rbr_dense.conv.weight");
        assertThat(mm.toOfficial("backbone.stem.branch_3x3.norm.running_mean")).isEqualTo("stage0.rbr_dense.bn.running_mean");
        assertThat(mm.toOfficial("backbone.stage_0.branch_1x1.norm.bias")).isEqualTo("stage0.rbr_1x1.bn.bias");
        assertThat(mm.toOfficial("backbone.stage_2.3.branch_norm.running_var")).isEqualTo("stage2.3.rbr_identity.running_var");
        assertThat(mm.toOfficial("backbone.stage_4.0.branch_reparam.weight")).isEqualTo("stage4.0.rbr_reparam.weight");
        assertThat(mm.toOfficial("backbone.stage_1.0.se_layer.conv1.conv.weight")).isEqualTo("stage1.0.se.down.weight");
        assertThat(mm.toOfficial("backbone.stage_1.0.se_layer.conv2.conv.bias")).isEqualTo("stage1.0.se.up.bias");
        assertThat(mm.toOfficial("head.fc.bias")).isEqualTo("linear.bias");
    }

    @Test
    void namesOutsideTheLayoutPassThroughToBeReportedAsUnexpected() {
        assertThat(KeyLayout.TIMM.toOfficial("stages.0.0.drop_path.scale")).isEqualTo("stages.0.0.drop_path.scale");
        assertThat(KeyLayout.TIMM.toOfficial("final_conv.conv.weight")).isEqualTo("final_conv.conv.weight");
        assertThat(KeyLayout.MMCLS.toOfficial("neck.fc.weight")).isEqualTo("neck.fc.weight");
        assertThat(KeyLayout.OFFICIAL.toOfficial("stage1.0.rbr_dense.conv.weight")).isEqualTo("stage1.0.rbr_dense.conv.weight");
    }

    @Test
    void detectsTheLayoutFromBlockPrefixes() {
        assertThat(KeyLayout.detect(List.of("stage0.rbr_reparam.weight", "linear.weight"))).hasValue(KeyLayout.OFFICIAL);
        assertThat(KeyLayout.detect(List.of("stem.reparam_conv.weight", "stages.0.0.reparam_conv.weight", "head.fc.weight")))
                .hasValue(KeyLayout.TIMM);
        assertThat(KeyLayout.detect(List.of("backbone.stem.branch_reparam.weight", "head.fc.weight"))).hasValue(KeyLayout.MMCLS);
        assertThat(KeyLayout.detect(List.of("conv1.weight", "fc.weight"))).isEmpty();
    }
}
