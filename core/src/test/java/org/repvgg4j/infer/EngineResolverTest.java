package org.repvgg4j.infer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.repvgg4j.export.Precision;
import org.repvgg4j.infer.EngineResolver.Choice;
import org.repvgg4j.infer.EngineResolver.Kind;
import org.repvgg4j.infer.EngineResolver.Network;
import org.repvgg4j.infer.EngineResolver.Source;

class EngineResolverTest {

    /**
     * Every row of {@link EngineResolver}'s table. Model: kind, SE blocks, input size (0: model.json
     * unreadable), model.onnx newer than the weights, precision the file was written in (-: unknown);
     * asked: engine, precision (-: none); the CPU's AVX-512; then what runs ("engine precision FORMAT",
     * precision - for "as written") or "refused: " and a part of the message, or "missing".
     */
    @ParameterizedTest(name = "{0} se={1} size={2} fresh={3} written={4}, --engine {5} --precision {6}, avx512={7}: {8}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            # directory, no engine asked: oneDNN on AVX-512 from 160x160 without SE, else ONNX Runtime
            DIRECTORY        | false | 224 | false | FP32 | -           | -    | true  | onednn fp32 ONEDNN_DEPLOY_FORM
            DIRECTORY        | false | 160 | false | FP32 | -           | -    | true  | onednn fp32 ONEDNN_DEPLOY_FORM
            DIRECTORY        | false | 159 | false | FP32 | -           | -    | true  | onnxruntime fp32 ONNX_IN_MEMORY
            DIRECTORY        | true  | 224 | false | FP32 | -           | -    | true  | onnxruntime fp32 ONNX_IN_MEMORY
            DIRECTORY        | false | 224 | false | FP32 | -           | -    | false | onnxruntime fp32 ONNX_IN_MEMORY
            DIRECTORY        | false | 224 | true  | FP32 | -           | fp32 | false | onnxruntime fp32 ONNX_IN_DIRECTORY
            DIRECTORY        | false | 0   | false | FP32 | -           | -    | true  | onednn fp32 ONEDNN_DEPLOY_FORM
            DIRECTORY        | false | 0   | false | FP32 | -           | -    | false | onnxruntime fp32 ONNX_IN_MEMORY
            # directory, engine asked
            DIRECTORY        | false | 224 | true  | FP32 | pytorch     | -    | true  | pytorch fp32 DJL_WEIGHTS
            DIRECTORY        | false | 224 | true  | FP32 | onnxruntime | fp32 | true  | onnxruntime fp32 ONNX_IN_DIRECTORY
            DIRECTORY        | false | 224 | false | FP32 | onnxruntime | -    | true  | onnxruntime fp32 ONNX_IN_MEMORY
            DIRECTORY        | false | 48  | false | FP32 | onednn      | -    | false | onednn fp32 ONEDNN_DEPLOY_FORM
            DIRECTORY        | true  | 224 | false | FP32 | onednn      | -    | true  | refused: squeeze-excitation do not run on the onednn engine; use --engine onnxruntime
            # directory, bf16 and int8
            DIRECTORY        | false | 224 | true  | FP32 | -           | bf16 | true  | pytorch bf16 TORCHSCRIPT_BF16_IN_MEMORY
            DIRECTORY        | true  | 48  | false | FP32 | pytorch     | bf16 | false | pytorch bf16 TORCHSCRIPT_BF16_IN_MEMORY
            DIRECTORY        | false | 224 | false | FP32 | onnxruntime | bf16 | true  | refused: --precision bf16 runs on libtorch: leave out --engine onnxruntime (or give --engine pytorch)
            DIRECTORY        | false | 224 | false | FP32 | onednn      | bf16 | true  | refused: --precision bf16 runs on libtorch: leave out --engine onednn
            DIRECTORY        | false | 224 | false | FP32 | -           | int8 | true  | refused: --precision int8 runs from an ONNX file: write one with 'repvgg export --precision int8
            # our ONNX file: ONNX Runtime, in the precision it was written in
            ONNX_FILE        | false | 0   | false | FP32 | -           | -    | true  | onnxruntime fp32 ONNX_FILE
            ONNX_FILE        | false | 0   | false | INT8 | -           | fp32 | false | onnxruntime int8 ONNX_FILE
            ONNX_FILE        | false | 0   | false | INT8 | onnxruntime | -    | true  | onnxruntime int8 ONNX_FILE
            ONNX_FILE        | false | 0   | false | FP32 | onednn      | -    | true  | refused: an ONNX file runs on --engine onnxruntime only (onednn takes a model directory)
            ONNX_FILE        | false | 0   | false | FP32 | pytorch     | -    | true  | refused: an ONNX file runs on --engine onnxruntime only
            ONNX_FILE        | false | 0   | false | INT8 | -           | int8 | true  | refused: --precision int8 runs from an ONNX file
            ONNX_FILE        | false | 0   | false | FP32 | -           | bf16 | true  | refused: a model file runs in the precision it was written in; --precision bf16 is for a model directory
            ONNX_FILE        | false | 0   | false | FP32 | onnxruntime | bf16 | true  | refused: --precision bf16 runs on libtorch: leave out --engine onnxruntime
            # TorchScript file: libtorch, in the precision it was written in (unknown for one from elsewhere)
            TORCHSCRIPT_FILE | false | 0   | false | FP32 | -           | -    | true  | pytorch fp32 TORCHSCRIPT_FILE
            TORCHSCRIPT_FILE | false | 0   | false | BF16 | pytorch     | fp32 | false | pytorch bf16 TORCHSCRIPT_FILE
            TORCHSCRIPT_FILE | false | 0   | false | -    | -           | -    | true  | pytorch - TORCHSCRIPT_FILE
            TORCHSCRIPT_FILE | false | 0   | false | FP32 | onnxruntime | -    | true  | refused: a TorchScript file runs on --engine pytorch only
            TORCHSCRIPT_FILE | false | 0   | false | BF16 | -           | bf16 | true  | refused: a model file runs in the precision it was written in
            # anything else
            OTHER_FILE       | false | 0   | false | -    | -           | -    | true  | refused: --model takes a model directory (model.json + model.safetensors), an ONNX file of ours (.onnx) or a TorchScript file (.pt)
            OTHER_FILE       | false | 0   | false | -    | pytorch     | bf16 | true  | refused: a model file runs in the precision it was written in
            MISSING          | false | 0   | false | -    | -           | -    | true  | missing
            MISSING          | false | 0   | false | -    | pytorch     | bf16 | false | missing
            MISSING          | false | 0   | false | -    | -           | int8 | true  | refused: --precision int8 runs from an ONNX file
            """)
    void resolvesEachRowOfTheTable(Kind kind, boolean se, int inputSize, boolean freshOnnx, Precision written,
            String engine, String precision, boolean avx512, String expected) {
        Path path = Path.of("models", "m");
        Source source = new Source(path, kind, inputSize == 0 ? null : new Network(se, inputSize),
                kind == Kind.DIRECTORY ? Precision.FP32 : written, freshOnnx);
        Engine asked = engine == null ? null : Engine.parse(engine);
        Precision askedPrecision = precision == null ? null : Precision.parse(precision);

        if (expected.startsWith("refused: ")) {
            assertThatThrownBy(() -> EngineResolver.resolve(source, asked, askedPrecision, avx512))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(expected.substring("refused: ".length()));
            return;
        }
        if (expected.equals("missing")) {
            assertThatThrownBy(() -> EngineResolver.resolve(source, asked, askedPrecision, avx512))
                    .isInstanceOf(NoSuchFileException.class).hasMessageContaining(path.toString());
            return;
        }
        Choice choice = resolve(source, asked, askedPrecision, avx512);
        String precisionId = choice.precision() == null ? "-" : choice.precision().id();
        assertThat(choice.engine().id() + " " + precisionId + " " + choice.format()).isEqualTo(expected);
        Path file = choice.format() == EngineResolver.Format.ONNX_IN_DIRECTORY ? path.resolve("model.onnx") : path;
        assertThat(choice.file()).isEqualTo(file);
    }

    private static Choice resolve(Source source, Engine engine, Precision precision, boolean avx512) {
        try {
            return EngineResolver.resolve(source, engine, precision, avx512);
        } catch (NoSuchFileException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * What {@code repvgg bench} times of one network on one engine: network (RepVGG deploy form or not,
     * SE blocks), engine, precisions asked; then the measurement labels, or "refused: " and the message.
     */
    @ParameterizedTest(name = "deploy={0} se={1} {2} {3}: {4}")
    @CsvSource(delimiter = '|', textBlock = """
            true  | false | pytorch     | fp32           | pytorch
            true  | false | pytorch     | bf16           | pytorch pytorch-bf16
            true  | false | pytorch     | int8           | pytorch
            false | false | pytorch     | fp32 bf16      | pytorch
            true  | false | onnxruntime | fp32 int8      | onnxruntime onnxruntime-int8
            true  | false | onnxruntime | int8           | onnxruntime-int8
            true  | false | onnxruntime | bf16           | ''
            false | false | onnxruntime | fp32 int8      | ''
            true  | false | onednn      | fp32 int8 bf16 | onednn
            true  | false | onednn      | int8           | ''
            false | true  | onednn      | fp32           | ''
            true  | true  | onednn      | fp32           | refused: not timed on onednn, which has no squeeze-excitation blocks
            true  | true  | onnxruntime | fp32           | onnxruntime
            """)
    void timesWhatEachEngineRunsOfANetwork(boolean deploy, boolean se, String engine, String precisions,
            String expected) {
        Set<Precision> asked = EngineResolver.parsePrecisions(List.of(precisions.split(" ")));
        if (expected.startsWith("refused: ")) {
            assertThatThrownBy(() -> EngineResolver.timings(Engine.parse(engine), asked, deploy, se))
                    .hasMessage(expected.substring("refused: ".length()));
            return;
        }
        List<Choice> timed = EngineResolver.timings(Engine.parse(engine), asked, deploy, se);
        assertThat(timed.stream().map(Choice::label).collect(Collectors.joining(" "))).isEqualTo(expected);
    }

    @Test
    void parsesEngineAndPrecisionLists() {
        assertThat(EngineResolver.parseEngines("all")).containsExactly(Engine.PYTORCH, Engine.ONNXRUNTIME, Engine.ONEDNN);
        assertThat(EngineResolver.parseEngines(" Both ")).containsExactly(Engine.PYTORCH, Engine.ONNXRUNTIME);
        assertThat(EngineResolver.parseEngines("onednn, pytorch,onednn")).containsExactly(Engine.ONEDNN, Engine.PYTORCH);
        assertThatThrownBy(() -> EngineResolver.parseEngines("pytorch,tensorrt"))
                .hasMessage("'tensorrt' is not one of pytorch, onnxruntime, onednn, both, all");
        assertThat(EngineResolver.parsePrecisions(List.of("both"))).containsExactly(Precision.FP32, Precision.INT8);
        assertThat(EngineResolver.parsePrecisions(List.of("bf16", "FP32"))).containsExactly(Precision.FP32,
                Precision.BF16);
        assertThatThrownBy(() -> EngineResolver.parsePrecisions(List.of("fp16")))
                .hasMessage("'fp16' is not one of fp32, bf16, int8, both");
        assertThat(EngineResolver.engineFor(Precision.INT8)).isEqualTo(Engine.ONNXRUNTIME);
        assertThat(EngineResolver.engineFor(Precision.BF16)).isEqualTo(Engine.PYTORCH);
    }

    @Test
    void readsAPathsKindAndWhetherItsOnnxExportIsNewerThanItsWeights(@TempDir Path tmp) throws Exception {
        assertThat(Source.of(tmp.resolve("nothing")).kind()).isEqualTo(Kind.MISSING);
        for (String name : List.of("a.onnx", "B.ONNX", "c.pt", "d.ts", "e.torchscript", "f.pth")) {
            Files.writeString(tmp.resolve(name), "not a model");
        }
        assertThat(List.of("a.onnx", "B.ONNX", "c.pt", "d.ts", "e.torchscript", "f.pth").stream()
                .map(n -> Source.of(tmp.resolve(n)).kind()).toList())
                .containsExactly(Kind.ONNX_FILE, Kind.ONNX_FILE, Kind.TORCHSCRIPT_FILE, Kind.TORCHSCRIPT_FILE,
                        Kind.TORCHSCRIPT_FILE, Kind.OTHER_FILE);
        assertThat(Source.of(tmp.resolve("c.pt")).written()).as("no metadata to read").isNull();

        Path dir = Files.createDirectory(tmp.resolve("model"));
        Path weights = Files.writeString(dir.resolve("model.safetensors"), "w");
        Path onnx = Files.writeString(dir.resolve("model.onnx"), "o");
        Files.setLastModifiedTime(weights, FileTime.fromMillis(2_000_000));
        Files.setLastModifiedTime(onnx, FileTime.fromMillis(1_000_000));
        Source stale = Source.of(dir);
        assertThat(stale.kind()).isEqualTo(Kind.DIRECTORY);
        assertThat(stale.network()).as("model.json missing").isNull();
        assertThat(stale.freshOnnx()).isFalse();
        Files.setLastModifiedTime(onnx, FileTime.fromMillis(3_000_000));
        assertThat(Source.of(dir).freshOnnx()).isTrue();
    }
}
