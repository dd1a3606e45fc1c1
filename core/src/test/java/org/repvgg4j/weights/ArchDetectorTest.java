package org.repvgg4j.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.repvgg4j.model.BlockPlan;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVggSpec;

/** Shapes alone tell which paper variant (or custom spec) a state dict belongs to. */
class ArchDetectorTest {

    /** The kernel shapes a network of {@code spec} has, as a checkpoint of it would. */
    static Map<String, Shape> kernels(RepVggSpec spec, Form form) {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        for (BlockPlan b : spec.blocks()) {
            shapes.put(ArchDetector.kernelKey(b.keyPrefix(), form),
                    new Shape(b.outChannels(), b.inChannels() / b.groups(), 3, 3));
            if (b.se()) {
                shapes.put(b.keyPrefix() + "se.down.weight", new Shape(b.seChannels(), b.outChannels(), 1, 1));
            }
        }
        shapes.put("linear.weight", new Shape(1000, spec.featureChannels()));
        return shapes;
    }

    @Test
    void recognisesEveryPaperVariantInBothForms() {
        for (RepVggSpec spec : RepVggSpec.officialVariants()) {
            for (Form form : Form.values()) {
                assertThat(ArchDetector.detect(kernels(spec, form), form, "x.pth")).as(spec + " " + form).isEqualTo(spec);
            }
        }
    }

    @Test
    void buildsACustomSpecForOtherShapes() {
        RepVggSpec tiny = RepVggSpec.parse("depths=2,2,2,1;widths=0.125,0.0625,0.03125,0.03125;groups=2");
        RepVggSpec detected = ArchDetector.detect(kernels(tiny, Form.TRAIN), Form.TRAIN, "x.pth");
        assertThat(detected).isEqualTo(tiny);
        assertThat(detected.isOfficial()).isFalse();
    }

    @Test
    void refusesGroupingThatIsNotRepVggs() {
        Map<String, Shape> shapes = kernels(RepVggSpec.parse("B1g2"), Form.DEPLOY);
        // ungroup layer 4 (stage1.3) only
        shapes.put("stage1.3.rbr_reparam.weight", new Shape(128, 128, 3, 3));
        assertThatThrownBy(() -> ArchDetector.detect(shapes, Form.DEPLOY, "x.pth"))
                .hasMessageContaining("x.pth").hasMessageContaining("do not follow RepVGG's pattern");
    }

    @Test
    void namesTheMissingStemKernel() {
        assertThatThrownBy(() -> ArchDetector.detect(Map.of(), Form.TRAIN, "x.pth"))
                .hasMessage("x.pth: cannot tell the architecture: no stem kernel 'stage0.rbr_dense.conv.weight'; pass --arch");
    }
}
