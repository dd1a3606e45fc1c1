package org.repvgg4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RepVggSpecTest {

    /** Deploy-form parameters with 1000 classes, in millions, as the paper's Table 3 prints them. */
    private static final Map<String, Double> PAPER_DEPLOY_PARAMS_M = Map.of(
            "A0", 8.30, "A1", 12.78, "A2", 25.49, "B0", 14.33, "B1", 51.82,
            "B1g2", 41.36, "B1g4", 36.12, "B2", 80.31, "B2g4", 55.77, "B3", 110.96);

    @Test
    void deployParameterCountsMatchThePaper() {
        PAPER_DEPLOY_PARAMS_M.forEach((name, millions) -> {
            long params = Complexity.of(RepVggSpec.parse(name), Form.DEPLOY, 1000, 224).params();
            assertThat(params / 1e6).as(name).isCloseTo(millions, within(0.02));
        });
    }

    @Test
    void deployA0HasExactlyThePapersParameterCount() {
        assertThat(Complexity.of(RepVggSpec.parse("A0"), Form.DEPLOY, 1000, 224).params()).isEqualTo(8_309_384L);
    }

    @Test
    void trainA0HasTimmsParameterCount() {
        long params = Complexity.of(RepVggSpec.parse("A0"), Form.TRAIN, 1000, 224).params();
        assertThat(params / 1e6).isCloseTo(9.11, within(0.01));
    }

    @Test
    void deployA0Costs1point36GigaMultiplyAddsAt224() {
        long macs = Complexity.of(RepVggSpec.parse("A0"), Form.DEPLOY, 1000, 224).macs();
        assertThat(macs / 1e9).isCloseTo(1.36, within(0.005));
    }

    @Test
    void stageWidthsFollowTheMultipliers() {
        RepVggSpec b1 = RepVggSpec.parse("B1");
        assertThat(b1.stemChannels()).isEqualTo(64);
        assertThat(List.of(b1.stageChannels(1), b1.stageChannels(2), b1.stageChannels(3), b1.stageChannels(4)))
                .containsExactly(128, 256, 512, 2048);
        RepVggSpec a0 = RepVggSpec.parse("A0");
        assertThat(a0.stemChannels()).isEqualTo(48);
        assertThat(a0.featureChannels()).isEqualTo(1280);
    }

    @Test
    void firstBlockOfEveryStageHasStrideTwoAndNoIdentity() {
        List<BlockPlan> blocks = RepVggSpec.parse("A0").blocks();
        assertThat(blocks).hasSize(1 + 2 + 4 + 14 + 1);
        for (BlockPlan b : blocks) {
            assertThat(b.stride()).isEqualTo(b.index() == 0 ? 2 : 1);
            assertThat(b.hasIdentity()).isEqualTo(b.index() > 0);
        }
    }

    @Test
    void groupsApplyToEvenLayersUpTo26AndNeverToStageZero() {
        List<BlockPlan> blocks = RepVggSpec.parse("B1g4").blocks();
        assertThat(blocks.get(0).groups()).isEqualTo(1);
        for (BlockPlan b : blocks.subList(1, blocks.size())) {
            boolean grouped = b.layer() % 2 == 0 && b.layer() <= 26;
            assertThat(b.groups()).as("layer " + b.layer()).isEqualTo(grouped ? 4 : 1);
        }
    }

    @Test
    void d2seHasSqueezeExcitationOnEveryBlock() {
        RepVggSpec d2se = RepVggSpec.parse("RepVGG-D2se");
        assertThat(d2se.blocks()).hasSize(1 + 8 + 14 + 24 + 1).allMatch(BlockPlan::se);
        assertThat(d2se.blocks().get(5).seChannels()).isEqualTo(160 / 16);
    }

    @Test
    void namesParseInEveryCommonSpelling() {
        assertThat(RepVggSpec.parse("repvgg_b1g4")).isEqualTo(RepVggSpec.parse("B1g4"));
        assertThat(RepVggSpec.parse("RepVGG-A0").name()).isEqualTo("A0");
        assertThat(RepVggSpec.officialVariants()).extracting(RepVggSpec::name).containsExactly(
                "A0", "A1", "A2", "B0", "B1", "B1g2", "B1g4", "B2", "B2g2", "B2g4", "B3", "B3g2", "B3g4", "D2se");
    }

    @Test
    void customSpecRoundTripsThroughItsName() {
        RepVggSpec custom = RepVggSpec.parse("depths=1,2,2,1;widths=0.25,0.25,0.5,1;groups=2;se=true");
        assertThat(custom.depths()).containsExactly(1, 2, 2, 1);
        assertThat(custom.groups()).isEqualTo(2);
        assertThat(custom.se()).isTrue();
        assertThat(RepVggSpec.parse(custom.name())).isEqualTo(custom);
        assertThat(custom.isOfficial()).isFalse();
    }

    @Test
    void badArchNamesSayWhatIsKnown() {
        assertThatThrownBy(() -> RepVggSpec.parse("Z9")).hasMessageContaining("unknown RepVGG arch 'Z9'")
                .hasMessageContaining("A0");
        assertThatThrownBy(() -> RepVggSpec.parse("depths=1,1,1;widths=1,1,1,1")).hasMessageContaining("4 stages");
        assertThatThrownBy(() -> RepVggSpec.parse("depths=1,1,1,1;widths=1,1,1,1;colour=red"))
                .hasMessageContaining("unknown field 'colour'");
        assertThatThrownBy(() -> RepVggSpec.parse("depths=1,1,1,1;widths=0.25,0.25,0.25,0.25;groups=3"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
