package org.repvgg4j.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import onnx.Onnx.AttributeProto;
import onnx.Onnx.ModelProto;
import onnx.Onnx.NodeProto;
import onnx.Onnx.TensorProto;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repvgg4j.infer.OnnxRuntimeRunner;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.reparam.EquivalenceCheck;
import org.repvgg4j.reparam.VerifiedConversion;
import org.repvgg4j.weights.LoadedModel;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.NetworkWeights;
import org.repvgg4j.weights.Preprocessing;

class Int8ExporterTest {

    /** A0's layout (stage 0 and 2, 4, 14, 1 blocks) at an eighth of its widths: 22 conv layers, fast at 32x32. */
    private static final RepVggSpec SMALL_A0 = RepVggSpec.parse("depths=2,4,14,1;widths=0.125,0.125,0.125,0.25");
    private static final int SIZE = 32;

    @TempDir
    static Path dir;

    private static Path list;

    /** 96 PNGs of smooth random blobs on a background, so activations look like those of photos. */
    @BeforeAll
    static void writeImages() throws Exception {
        Random random = new Random(7);
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 96; i++) {
            BufferedImage image = new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB);
            int background = random.nextInt(0x1000000);
            double cx = 40 * random.nextDouble();
            double cy = 40 * random.nextDouble();
            double radius = 5 + 15 * random.nextDouble();
            int blob = random.nextInt(0x1000000);
            for (int y = 0; y < 40; y++) {
                for (int x = 0; x < 40; x++) {
                    boolean inside = Math.hypot(x - cx, y - cy) < radius;
                    image.setRGB(x, y, inside ? blob : background);
                }
            }
            Path file = dir.resolve(String.format("img%03d.png", i));
            ImageIO.write(image, "png", file.toFile());
            lines.append(file.getFileName()).append(' ').append(i % 10).append('\n');
        }
        list = dir.resolve("calibration.txt");
        Files.writeString(list, lines);
    }

    private static LoadedModel deployModel(NDManager manager) {
        RepVgg train = new RepVgg(SMALL_A0, Form.TRAIN, 10);
        train.initialize(manager, SIZE);
        EquivalenceCheck.randomizeBatchNorms(NetworkWeights.of(train), 5);
        ModelConfig config = new ModelConfig(SMALL_A0, Form.TRAIN, ModelConfig.numberedClasses(10),
                Preprocessing.imagenet(SIZE), Map.of());
        return VerifiedConversion.run(new LoadedModel(config, train), manager, 2, 3).deploy();
    }

    private static Int8Exporter.Result quantize(NDManager manager, double percentile) throws Exception {
        LoadedModel deploy = deployModel(manager);
        CalibrationImages images = CalibrationImages.load(list, 48, 48, deploy.config().preprocessing(), 0);
        return Int8Exporter.export(deploy.config(), NetworkWeights.of(deploy.network()), images, percentile, 1);
    }

    @Test
    void int8ModelRunsInOnnxRuntimeAndTracksFp32OnHeldOutImages() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Int8Exporter.Result result = quantize(manager, 100);
            Int8Agreement agreement = result.agreement();

            assertThat(agreement.images()).isEqualTo(48);
            assertThat(agreement.top1Agreement()).as(agreement.describe()).isGreaterThanOrEqualTo(0.9);
            assertThat(agreement.correlation()).as(agreement.describe()).isGreaterThan(0.99);
            assertThat(agreement.maxRelativeDifference()).as(agreement.describe()).isGreaterThan(0).isLessThan(0.2);
            try (OnnxRuntimeRunner ort = OnnxRuntimeRunner.open(result.toBytes(), 1)) {
                assertThat(ort.metadata()).containsEntry(QdqQuantizer.META_PRECISION, "int8")
                        .containsEntry(Int8Exporter.META_CALIBRATION_IMAGES, "48")
                        .containsEntry(OnnxExporter.META_NUM_CLASSES, "10");
                assertThat(ort.run(new float[3 * 3 * SIZE * SIZE], 3)).hasDimensions(3, 10);
            }
        }
    }

    @Test
    void graphHoldsPerChannelInt8WeightsAndQuantizePairsOnEveryActivation() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ModelProto model = quantize(manager, 99.99).model();
            Map<String, TensorProto> init = model.getGraph().getInitializerList().stream()
                    .collect(Collectors.toMap(TensorProto::getName, Function.identity()));
            Map<String, Long> ops = model.getGraph().getNodeList().stream()
                    .collect(Collectors.groupingBy(NodeProto::getOpType, Collectors.counting()));

            TensorProto weight = init.get("stage1.0.rbr_reparam.weight_quantized");
            assertThat(weight.getDataType()).isEqualTo(TensorProto.DataType.INT8_VALUE);
            assertThat(weight.getDimsList()).containsExactly(8L, 8L, 3L, 3L);
            assertThat(init.get("stage1.0.rbr_reparam.weight.scale").getDimsList()).containsExactly(8L);
            assertThat(init.get("stage1.0.rbr_reparam.bias_quantized").getDataType())
                    .isEqualTo(TensorProto.DataType.INT32_VALUE);
            assertThat(init).doesNotContainKey("stage1.0.rbr_reparam.weight");
            NodeProto weightDq = model.getGraph().getNodeList().stream()
                    .filter(n -> n.getName().equals("stage1.0.rbr_reparam.weight.dequantize")).findFirst().orElseThrow();
            assertThat(weightDq.getAttributeList()).extracting(AttributeProto::getName, AttributeProto::getI)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("axis", 0L));
            // The input and the 22 block outputs; every one of the 22 convs reads dequantized input.
            assertThat(ops.get("QuantizeLinear")).isEqualTo(23);
            assertThat(ops.get("DequantizeLinear")).isEqualTo(23 + 2 * 22);
            assertThat(model.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Conv")))
                    .allSatisfy(n -> assertThat(n.getInputList()).allMatch(i -> i.endsWith("_dequantized")));
            assertThat(init.get("input.zero_point").getDataType()).isEqualTo(TensorProto.DataType.UINT8_VALUE);
        }
    }

    @Test
    void onnxRuntimeFusesTheGraphIntoIntegerConvolutions() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            byte[] int8 = quantize(manager, 100).toBytes();
            Path optimized = dir.resolve("optimized.onnx");
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.EXTENDED_OPT);
                options.setOptimizedModelFilePath(optimized.toString());
                OrtEnvironment.getEnvironment().createSession(int8, options).close();
            }
            List<String> ops = new ArrayList<>();
            ModelProto.parseFrom(Files.readAllBytes(optimized)).getGraph().getNodeList()
                    .forEach(n -> ops.add(n.getOpType()));

            assertThat(ops).filteredOn(op -> op.equals("QLinearConv")).hasSize(22);
            assertThat(ops).doesNotContain("Conv", "Relu");
        }
    }

    @Test
    void percentileClipsARareOutlierThatMinMaxKeeps() {
        ActivationHistogram histogram = new ActivationHistogram("x");
        float[] values = new float[100_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = (i % 1000) / 1000f;
        }
        values[0] = 50f;
        histogram.add(values);

        assertThat(histogram.range(100).max()).isEqualTo(50f);
        assertThat(histogram.range(99.9).max()).isBetween(0.99f, 1.1f);
        assertThat(histogram.range(99.9).min()).isEqualTo(0f);
        assertThat(new ActivationRange("x", 0, 2.55f).zeroPoint()).isZero();
        assertThat(new ActivationRange("x", -1f, 1.55f).zeroPoint()).isEqualTo(100);
    }

    @Test
    void missingCalibrationListIsNamed() {
        Path missing = dir.resolve("no-such-list.txt");
        assertThatThrownBy(() -> CalibrationImages.load(missing, 8, 8, Preprocessing.imagenet(SIZE), 0))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("calibration list not found");
    }
}
