package org.repvgg4j.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import onnx.Onnx.AttributeProto;
import onnx.Onnx.ModelProto;
import onnx.Onnx.NodeProto;
import onnx.Onnx.TensorProto;
import onnx.Onnx.TensorShapeProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.repvgg4j.infer.OnnxRuntimeRunner;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.reparam.Equivalence;
import org.repvgg4j.reparam.EquivalenceCheck;
import org.repvgg4j.reparam.VerifiedConversion;
import org.repvgg4j.weights.LoadedModel;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.NetworkWeights;
import org.repvgg4j.weights.Preprocessing;
import org.repvgg4j.weights.StateDict;

class OnnxExporterTest {

    static final RepVggSpec GROUPED_SE = RepVggSpec.parse("depths=1,2,1,1;widths=0.25,0.25,0.25,0.25;groups=2;se=true");
    /** A0's depths (2, 4, 14, 1) at a fraction of its widths. */
    static final RepVggSpec SMALL_A0 = RepVggSpec.parse("depths=2,4,14,1;widths=0.125,0.125,0.125,0.25");

    static Stream<Arguments> variants() {
        return Stream.of(Arguments.of(GROUPED_SE, 32), Arguments.of(SMALL_A0, 64));
    }

    /** A train model with random weights and batch norms, converted and verified: the deploy model to export. */
    static LoadedModel deployModel(RepVggSpec spec, int size, List<String> classes, NDManager manager) {
        RepVgg train = new RepVgg(spec, Form.TRAIN, classes.size());
        train.initialize(manager, size);
        EquivalenceCheck.randomizeBatchNorms(NetworkWeights.of(train), 5);
        ModelConfig config = new ModelConfig(spec, Form.TRAIN, classes, Preprocessing.imagenet(size), Map.of());
        VerifiedConversion.Result converted = VerifiedConversion.run(new LoadedModel(config, train), manager, 2, 3);
        assertThat(converted.equivalence().holds()).as(converted.equivalence().toString()).isTrue();
        return converted.deploy();
    }

    private static byte[] export(LoadedModel deploy) {
        return OnnxExporter.toBytes(deploy.config(), NetworkWeights.of(deploy.network()));
    }

    @ParameterizedTest(name = "{0} at {1}x{1}")
    @MethodSource("variants")
    void exportedModelGivesOurLogitsInOnnxRuntime(RepVggSpec spec, int size) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedModel deploy = deployModel(spec, size, ModelConfig.numberedClasses(10), manager);
            try (OnnxRuntimeRunner ort = OnnxRuntimeRunner.open(export(deploy), 1)) {
                Equivalence eq = OnnxRuntimeCheck.compare(deploy.network(), ort, 2, 17, 1e-4, manager);

                assertThat(eq.maxAbsOutput()).as("logits are not trivially zero").isGreaterThan(1e-3);
                assertThat(eq.maxAbsDifference()).as(OnnxRuntimeCheck.describe(eq, 2))
                        .isLessThanOrEqualTo(1e-4 * eq.maxAbsOutput());
                assertThat(eq.holds()).isTrue();
            }
        }
    }

    @Test
    void oneFileRunsAnyBatchSize() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedModel deploy = deployModel(GROUPED_SE, 32, ModelConfig.numberedClasses(7), manager);
            try (OnnxRuntimeRunner ort = OnnxRuntimeRunner.open(export(deploy), 1)) {
                assertThat(ort.inputShape()).containsExactly(-1, 3, 32, 32);

                NDArray three = EquivalenceCheck.randomInput(manager, 3, 32, 23);
                float[][] batchOfThree = ort.run(three.toFloatArray(), 3);
                float[][] batchOfOne = ort.run(three.get("0:1").toFloatArray(), 1);
                float[] djl = deploy.network().infer(three).toFloatArray();

                assertThat(batchOfThree).hasDimensions(3, 7);
                assertThat(batchOfOne).hasDimensions(1, 7);
                for (int c = 0; c < 7; c++) {
                    assertThat(batchOfOne[0][c]).as("class %d", c).isCloseTo(batchOfThree[0][c], within(1e-5f));
                }
                for (int i = 0; i < 3; i++) {
                    for (int c = 0; c < 7; c++) {
                        assertThat(batchOfThree[i][c]).as("image %d class %d", i, c)
                                .isCloseTo(djl[i * 7 + c], within(1e-4f * Math.abs(djl[i * 7 + c]) + 1e-5f));
                    }
                }
            }
        }
    }

    @Test
    void metadataCarriesClassNamesAndPreprocessing() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedModel deploy = deployModel(GROUPED_SE, 32, List.of("cat", "dog, large", "bird \"tiny\""), manager);
            try (OnnxRuntimeRunner ort = OnnxRuntimeRunner.open(export(deploy), 1)) {
                Map<String, String> meta = ort.metadata();

                assertThat(meta).containsEntry("arch", GROUPED_SE.name())
                        .containsEntry("form", "deploy")
                        .containsEntry("num_classes", "3")
                        .containsEntry("classes", "[\"cat\",\"dog, large\",\"bird \\\"tiny\\\"\"]")
                        .containsEntry("input_size", "32")
                        .containsEntry("resize_size", "37")
                        .containsEntry("mean", "[0.485,0.456,0.406]")
                        .containsEntry("std", "[0.229,0.224,0.225]")
                        .containsEntry("provenance.converted_from", "train form")
                        .containsKey("input_format")
                        .containsKey("provenance.conversion_check");
            }
        }
    }

    @Test
    void graphIsOneConvPerBlockWithSqueezeExciteAndALinearHead() {
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedModel deploy = deployModel(GROUPED_SE, 32, ModelConfig.numberedClasses(10), manager);
            StateDict weights = NetworkWeights.of(deploy.network());
            ModelProto model = OnnxExporter.export(deploy.config(), weights);

            assertThat(model.getIrVersion()).isEqualTo(8);
            assertThat(model.getOpsetImportList()).singleElement()
                    .satisfies(o -> assertThat(o.getDomain()).isEmpty())
                    .satisfies(o -> assertThat(o.getVersion()).isEqualTo(17));
            assertThat(model.getGraph().getInputList()).singleElement().satisfies(in -> {
                assertThat(in.getName()).isEqualTo("input");
                assertThat(in.getType().getTensorType().getShape().getDimList())
                        .extracting(d -> d.hasDimParam() ? d.getDimParam() : (Object) d.getDimValue())
                        .containsExactly("batch", 3L, 32L, 32L);
            });
            assertThat(model.getGraph().getOutputList()).singleElement().satisfies(out -> {
                assertThat(out.getName()).isEqualTo("logits");
                assertThat(out.getType().getTensorType().getShape().getDimList())
                        .extracting(TensorShapeProto.Dimension::getDimParam, TensorShapeProto.Dimension::getDimValue)
                        .containsExactly(tuple("batch", 0L),
                                tuple("", 10L));
            });

            // 6 blocks (stem + 1 + 2 + 1 + 1), each Conv + SE (pool, 2 Conv, Relu, Sigmoid, Mul) + Relu.
            Map<String, Long> ops = model.getGraph().getNodeList().stream()
                    .collect(Collectors.groupingBy(NodeProto::getOpType, Collectors.counting()));
            assertThat(ops).containsExactlyInAnyOrderEntriesOf(Map.of(
                    "Conv", 18L, "GlobalAveragePool", 7L, "Relu", 12L, "Sigmoid", 6L, "Mul", 6L,
                    "Flatten", 1L, "Gemm", 1L));
            NodeProto groupedConv = model.getGraph().getNodeList().stream()
                    .filter(n -> n.getName().equals("stage2.0.rbr_reparam")).findFirst().orElseThrow();
            assertThat(groupedConv.getAttributeList().stream().collect(Collectors.toMap(AttributeProto::getName, Function.identity())))
                    .hasEntrySatisfying("group", a -> assertThat(a.getI()).isEqualTo(2))
                    .hasEntrySatisfying("strides", a -> assertThat(a.getIntsList()).containsExactly(2L, 2L))
                    .hasEntrySatisfying("pads", a -> assertThat(a.getIntsList()).containsExactly(1L, 1L, 1L, 1L));

            // Initializers are the deploy tensors under their official names, raw little-endian float32.
            assertThat(model.getGraph().getInitializerList()).extracting(TensorProto::getName)
                    .containsExactlyInAnyOrderElementsOf(weights.keys());
            TensorProto bias = model.getGraph().getInitializerList().stream()
                    .filter(t -> t.getName().equals("linear.bias")).findFirst().orElseThrow();
            assertThat(bias.getDataType()).isEqualTo(TensorProto.DataType.FLOAT_VALUE);
            assertThat(bias.getRawData().size()).isEqualTo(10 * Float.BYTES);
            float first = ByteBuffer.wrap(bias.getRawData().toByteArray()).order(ByteOrder.LITTLE_ENDIAN).getFloat(0);
            assertThat(first).isEqualTo(weights.get("linear.bias").toFloatArray()[0]);
        }
    }

    @Test
    void refusesTrainFormAndNamesAMissingUnexpectedOrMisshapenKey() {
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedModel deploy = deployModel(GROUPED_SE, 32, ModelConfig.numberedClasses(4), manager);
            StateDict weights = NetworkWeights.of(deploy.network());

            assertThatThrownBy(() -> OnnxExporter.export(deploy.config().withForm(Form.TRAIN), weights))
                    .hasMessageContaining("only the deploy form is exported");

            StateDict missing = new StateDict();
            weights.asMap().forEach((k, v) -> {
                if (!k.equals("stage3.0.se.up.bias")) {
                    missing.put(k, v);
                }
            });
            assertThatThrownBy(() -> OnnxExporter.export(deploy.config(), missing))
                    .hasMessage("deploy weights: missing key 'stage3.0.se.up.bias'");

            StateDict extra = StateDict.of(weights.asMap());
            extra.put("stage2.2.rbr_reparam.weight", weights.get("stage2.1.rbr_reparam.weight"));
            assertThatThrownBy(() -> OnnxExporter.export(deploy.config(), extra))
                    .hasMessage("deploy weights: unexpected key 'stage2.2.rbr_reparam.weight'"
                            + " (the weights are not of this spec's deploy form)");

            StateDict misshapen = StateDict.of(weights.asMap());
            misshapen.put("stage1.0.rbr_reparam.weight", manager.zeros(new Shape(16, 8, 3, 3)));
            assertThatThrownBy(() -> OnnxExporter.export(deploy.config(), misshapen))
                    .hasMessage("deploy weights: key 'stage1.0.rbr_reparam.weight' has shape [16, 8, 3, 3]"
                            + " but the network expects [16, 16, 3, 3]");
        }
    }

}
