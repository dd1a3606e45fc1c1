package org.repvgg4j.bench.baselines;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.repvgg4j.bench.TimedNetwork;
import org.repvgg4j.reparam.EquivalenceCheck;

/**
 * The baselines match torchvision's models: parameter counts and multiply-adds (counted in
 * PyTorch 1.13 / torchvision 0.14 with forward hooks on every Conv2d and Linear), output shapes.
 */
class BaselineNetworksTest {

    @ParameterizedTest(name = "{0} at {1} classes")
    @CsvSource({
        "squeezenet1_1, 1000, 1235496",
        "squeezenet1_1, 10, 727626",
        "resnet18, 1000, 11689512",
        "resnet18, 10, 11181642",
    })
    void parameterCountsMatchTorchvision(String name, int classes, long params) {
        Baseline baseline = Baseline.find(name).orElseThrow();
        try (NDManager manager = NDManager.newBaseManager()) {
            TimedNetwork net = TimedNetwork.of(baseline, classes, 64, manager);
            assertThat(net.params()).isEqualTo(params);
        }
    }

    @ParameterizedTest(name = "{0} at {1}x{1}")
    @CsvSource({
        "squeezenet1_1, 224, 349151936",
        "squeezenet1_1, 64, 21584576",
        "resnet18, 224, 1814073344",
        "resnet18, 64, 148557824",
    })
    void multiplyAddsMatchTorchvisionLayerByLayer(String name, int size, long macs) {
        assertThat(Baseline.find(name).orElseThrow().macs(size, 1000)).isEqualTo(macs);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"squeezenet1_1", "resnet18"})
    void outputHasOneScorePerClassForEveryImage(String name) {
        try (NDManager manager = NDManager.newBaseManager()) {
            TimedNetwork net = TimedNetwork.of(Baseline.find(name).orElseThrow(), 7, 64, manager);
            NDArray scores = net.infer(EquivalenceCheck.randomInput(manager, 3, 64, 1));
            assertThat(scores.getShape().getShape()).containsExactly(3, 7);
            assertThat(net.block().getOutputShapes(new Shape[] {new Shape(3, 3, 64, 64)})[0].getShape())
                    .containsExactly(3, 7);
            assertThat(scores.isNaN().any().getBoolean()).isFalse();
        }
    }

    @Test
    void squeezeNetPoolsRoundUpAsTorchvisionDoes() {
        // A 3x3/2 pool over 32 pixels: ceil mode keeps a last, partial window (16), floor mode drops it (15).
        assertThat(ConvArithmetic.ceilOutputSize(32, 3, 2, 0)).isEqualTo(16);
        assertThat(ConvArithmetic.outputSize(32, 3, 2, 0)).isEqualTo(15);
        assertThat(ConvArithmetic.ceilOutputSize(111, 3, 2, 0)).isEqualTo(55);
    }

    @Test
    void namesAreTorchvisionsOrOurLabels() {
        assertThat(Baseline.find("SqueezeNet-1.1")).contains(Baseline.SQUEEZENET1_1);
        assertThat(Baseline.find("resnet18")).contains(Baseline.RESNET18);
        assertThat(Baseline.find("A0")).isEmpty();
    }
}
