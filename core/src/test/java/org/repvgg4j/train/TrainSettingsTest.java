package org.repvgg4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TrainSettingsTest {

    private static final Path TRAIN = Path.of("data/train.txt");
    private static final Path VAL = Path.of("data/val.txt");
    private static final Path CLASSES = Path.of("data/annotations.txt");

    @Test
    void aBuilderStartsFromTheOfficialRecipe() {
        TrainSettings s = TrainSettings.builder(TRAIN, VAL, CLASSES).build();
        assertThat(s.arch()).isEqualTo("A0");
        assertThat(s.epochs()).isEqualTo(30);
        assertThat(s.batchSize()).isEqualTo(32);
        assertThat(s.imageSize()).isEqualTo(224);
        assertThat(s.lr()).as("0.1 x 32 / 256").isEqualTo(0.0125);
        assertThat(s.warmupEpochs()).as("a tenth of 30 epochs").isEqualTo(3.0);
        assertThat(s.momentum()).isEqualTo(0.9);
        assertThat(s.weightDecay()).isEqualTo(1e-4);
        assertThat(s.labelSmoothing()).isEqualTo(0.1);
        assertThat(s.minScale()).isEqualTo(0.08);
        assertThat(s.maxScale()).isEqualTo(1.0);
        assertThat(s.cropRatio()).isEqualTo(0.875);
        assertThat(s.extras()).as("nothing beyond the recipe").isEmpty();
        assertThat(s.trainList()).isEqualTo(TRAIN.toAbsolutePath().normalize().toString());
    }

    @Test
    void theLearningRateAndWarmUpFollowTheBatchAndEpochsUnlessSet() {
        TrainSettings derived = TrainSettings.builder(TRAIN, VAL, CLASSES).batchSize(64).epochs(100).build();
        assertThat(derived.lr()).isEqualTo(0.025);
        assertThat(derived.warmupEpochs()).as("at most 5").isEqualTo(5.0);
        TrainSettings set = TrainSettings.builder(TRAIN, VAL, CLASSES).batchSize(64).lr(0.05).warmupEpochs(1).build();
        assertThat(set.lr()).isEqualTo(0.05);
        assertThat(set.warmupEpochs()).isEqualTo(1.0);
    }

    @Test
    void optionsBeyondTheRecipeAreNamedAndBadValuesRefused() {
        TrainSettings s = TrainSettings.builder(TRAIN, VAL, CLASSES).arch("repvgg_b1g4").ema(0.999).mixup(0.2)
                .augment("randaugment").freezeThrough("stage2").build();
        assertThat(s.arch()).isEqualTo("B1g4");
        assertThat(s.extras()).containsExactly("EMA 0.999", "mixup 0.2", "augment rand-m9-n2-mstd0.5-inc1",
                "frozen through stage2");
        assertThatThrownBy(() -> TrainSettings.builder(TRAIN, VAL, CLASSES).cropRatio(1.5).build())
                .hasMessageContaining("crop ratio");
        assertThatThrownBy(() -> TrainSettings.builder(TRAIN, VAL, CLASSES).arch("A9")).isInstanceOf(IllegalArgumentException.class);
    }
}
