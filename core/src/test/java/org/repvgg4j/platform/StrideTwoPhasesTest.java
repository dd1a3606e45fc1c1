package org.repvgg4j.platform;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import java.util.function.BinaryOperator;
import org.junit.jupiter.api.Test;

class StrideTwoPhasesTest {

    @Test
    void fourPhasesGiveTheStridedConvolutionAndItsGradients() {
        // Even and odd sizes, square and not, grouped; float64 so that only the arithmetic's order differs.
        check(3, 2, 6, 4, 8, 8, 1);
        check(3, 1, 4, 6, 7, 5, 1);
        check(3, 3, 8, 8, 6, 9, 2);
    }

    @Test
    void theEvenPhaseGivesTheStridedOneByOne() {
        check(1, 2, 4, 6, 7, 6, 1);
        check(1, 1, 4, 4, 8, 5, 2);
    }

    private static void check(int kernel, int n, int in, int out, int height, int width, int groups) {
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(7);
            NDArray x = manager.randomNormal(new Shape(n, in, height, width), DataType.FLOAT64);
            NDArray w = manager.randomNormal(new Shape(out, in / groups, kernel, kernel), DataType.FLOAT64);
            NDArray[] direct = run(x, w, (a, b) -> Conv2d.conv2d(a, b, null, new Shape(2, 2), new Shape(kernel / 2, kernel / 2),
                    new Shape(1, 1), groups).singletonOrThrow());
            NDArray[] phased = run(x, w, (a, b) -> StrideTwoPhases.convolve(a, b, groups));
            for (int i = 0; i < 3; i++) {
                assertThat(phased[i].getShape()).isEqualTo(direct[i].getShape());
                double difference = phased[i].sub(direct[i]).abs().max().getDouble();
                assertThat(difference).as("part %d of %s", i, x.getShape()).isLessThan(1e-12);
            }
            assertThat(direct[0].getShape()).isEqualTo(new Shape(n, out, (height + 1) / 2, (width + 1) / 2));
        }
    }

    /** Output, input gradient and weight gradient for a fixed upstream gradient. */
    private static NDArray[] run(NDArray input, NDArray weight, BinaryOperator<NDArray> convolution) {
        NDArray x = input.duplicate();
        NDArray w = weight.duplicate();
        x.setRequiresGradient(true);
        w.setRequiresGradient(true);
        NDArray y;
        try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            y = convolution.apply(x, w);
            NDArray upstream = y.getManager().arange((float) y.size()).reshape(y.getShape())
                    .toType(DataType.FLOAT64, false).sin();
            collector.backward(y.mul(upstream).sum());
        }
        return new NDArray[] {y, x.getGradient(), w.getGradient()};
    }
}
