package org.repvgg4j.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StridedTrainingTest {

    private final RepVggBlock layerOne = new RepVggBlock(new BlockPlan(1, 0, 1, 8, 16, 2, 1, false), Form.TRAIN);
    private final Shape input = new Shape(4, 8, 12, 12);

    @AfterEach
    void back() {
        StridedTraining.reset();
    }

    @Test
    void aStrideTwoLayerTrainsFromPhasesUntilBothBranchesAreAllowedAtItsShape() {
        assertThat(layerOne.trainsFromPhases(input)).isTrue();
        StridedTraining.allow(List.of(new StridedTraining.Convolution(4, 8, 16, 3, 12, 1)));
        assertThat(layerOne.trainsFromPhases(input)).as("the 1x1 branch is not allowed").isTrue();
        StridedTraining.allow(List.of(new StridedTraining.Convolution(4, 8, 16, 1, 12, 1)));
        assertThat(layerOne.trainsFromPhases(input)).isFalse();
        assertThat(layerOne.trainsFromPhases(new Shape(5, 8, 12, 12))).as("another batch size").isTrue();
        assertThat(layerOne.trainsFromPhases(new Shape(4, 8, 14, 14))).as("another map size").isTrue();
        assertThat(layerOne.trainsFromPhases(new Shape(4, 8, 12, 13))).as("not square").isTrue();
        StridedTraining.reset();
        assertThat(layerOne.trainsFromPhases(input)).isTrue();
    }

    @Test
    void theStemAndStrideOneLayersNeverTrainFromPhases() {
        RepVggBlock stem = new RepVggBlock(new BlockPlan(0, 0, 0, 3, 8, 2, 1, false), Form.TRAIN);
        RepVggBlock strideOne = new RepVggBlock(new BlockPlan(1, 1, 2, 16, 16, 1, 1, false), Form.TRAIN);
        assertThat(stem.trainsFromPhases(new Shape(4, 3, 24, 24))).isFalse();
        assertThat(strideOne.trainsFromPhases(new Shape(4, 16, 6, 6))).isFalse();
    }

    @Test
    void groupsAndChannelsAreTheShape() {
        RepVggBlock grouped = new RepVggBlock(new BlockPlan(2, 0, 3, 8, 16, 2, 2, false), Form.TRAIN);
        StridedTraining.allow(List.of(new StridedTraining.Convolution(4, 8, 16, 3, 12, 1),
                new StridedTraining.Convolution(4, 8, 16, 1, 12, 1)));
        assertThat(grouped.trainsFromPhases(input)).as("allowed ungrouped only").isTrue();
        assertThat(layerOne.trainsFromPhases(input)).isFalse();
    }
}
