package org.repvgg4j.infer.onednn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.repvgg4j.export.ExportCheck;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.platform.CpuFeatures;
import org.repvgg4j.reparam.Equivalence;
import org.repvgg4j.reparam.EquivalenceCheck;
import org.repvgg4j.reparam.VerifiedConversion;
import org.repvgg4j.weights.LoadedModel;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.NetworkWeights;
import org.repvgg4j.weights.Preprocessing;
import org.repvgg4j.weights.StateDict;

class OneDnnScorerTest {

    /** A0's depths at a quarter of its widths: 16, 16, 32, 64 and 256 channels, multiples of oneDNN's 16. */
    static final RepVggSpec QUARTER_A0 = RepVggSpec.parse("depths=2,4,14,1;widths=0.25,0.25,0.25,0.5");
    static final int SIZE = 64;

    /** A train model with random weights and batch norms, converted and verified: realistic deploy weights. */
    static LoadedModel deployModel(RepVggSpec spec, int size, NDManager manager) {
        RepVgg train = new RepVgg(spec, Form.TRAIN, 10);
        train.initialize(manager, size);
        EquivalenceCheck.randomizeBatchNorms(NetworkWeights.of(train), 5);
        ModelConfig config = new ModelConfig(spec, Form.TRAIN, ModelConfig.numberedClasses(10),
                Preprocessing.imagenet(size), Map.of());
        VerifiedConversion.Result converted = VerifiedConversion.run(new LoadedModel(config, train), manager, 2, 3);
        assertThat(converted.equivalence().holds()).as(converted.equivalence().toString()).isTrue();
        return converted.deploy();
    }

    private static OneDnnScorer open(LoadedModel deploy, int threads) {
        return OneDnnScorer.open(deploy.config(), NetworkWeights.of(deploy.network()), threads);
    }

    @Test
    void givesDjlsLogitsWithWinogradFromBatchTwoAndDirectAtBatchOne() {
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedModel deploy = deployModel(QUARTER_A0, SIZE, manager);
            try (OneDnnScorer scorer = open(deploy, 0)) {
                for (int batch : new int[] {1, 2, 5}) {
                    Equivalence eq = ExportCheck.compare(deploy.network(), scorer, SIZE, batch, 11, 1e-4, manager);

                    assertThat(eq.maxAbsOutput()).as("logits are not trivially zero").isGreaterThan(1e-3);
                    assertThat(eq.holds()).as("batch " + batch + ": " + ExportCheck.describe(eq, batch, "onednn"))
                            .isTrue();
                }
                List<String> single = scorer.convolutionKernels(1, SIZE);
                List<String> pair = scorer.convolutionKernels(2, SIZE);

                assertThat(single).hasSize(QUARTER_A0.blocks().size()).noneMatch(k -> k.contains("wino"));
                if (CpuFeatures.hasAvx512()) {
                    // All 17 stride-1 blocks; the 5 stride-2 ones (stem, first of each stage) stay direct.
                    assertThat(pair.stream().filter(k -> k.contains("wino"))).hasSize(17);
                }
            }
        }
    }

    @Test
    void groupedBlocksRunDirectAndMatch() {
        RepVggSpec grouped = RepVggSpec.parse("depths=1,2,3,1;widths=0.25,0.25,0.25,0.25;groups=2");
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedModel deploy = deployModel(grouped, 32, manager);
            try (OneDnnScorer scorer = open(deploy, 1)) {
                Equivalence eq = ExportCheck.compare(deploy.network(), scorer, 32, 3, 5, 1e-4, manager);

                assertThat(scorer.threads()).isEqualTo(1);
                assertThat(eq.maxAbsOutput()).isGreaterThan(1e-3);
                assertThat(eq.holds()).as(ExportCheck.describe(eq, 3, "onednn")).isTrue();
            }
        }
    }

    @Test
    void eachImageGetsTheSameLogitsWhateverTheBatchAndAfterOlderShapesAreDropped() {
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedModel deploy = deployModel(QUARTER_A0, 32, manager);
            float[] four = EquivalenceCheck.randomInput(manager, 4, 32, 3).toFloatArray();
            int image = 3 * 32 * 32;
            try (OneDnnScorer scorer = open(deploy, 0)) {
                float[] alone = scorer.logits(Arrays.copyOf(four, image), 1, 32)[0];
                // Five shapes: more than the three plans kept, so batch 1 is compiled again at the end.
                for (int batch : new int[] {2, 3, 4, 1}) {
                    float[] first = scorer.logits(Arrays.copyOf(four, batch * image), batch, 32)[0];
                    double scale = 0;
                    double diff = 0;
                    for (int c = 0; c < alone.length; c++) {
                        scale = Math.max(scale, Math.abs(alone[c]));
                        diff = Math.max(diff, Math.abs(first[c] - alone[c]));
                    }
                    assertThat(diff).as("batch " + batch).isLessThanOrEqualTo(1e-4 * scale);
                }
                assertThatThrownBy(() -> scorer.logits(new float[image - 1], 1, 32))
                        .hasMessageContaining("input has " + (image - 1) + " values");
            }
        }
    }

    @Test
    void twoScorersCalledFromFourThreadsAtOnceGiveTheOneThreadLogits() throws Exception {
        // Called from several Java threads directly, this oneDNN crashed the JVM in this very test.
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedModel deploy = deployModel(QUARTER_A0, 32, manager);
            int image = 3 * 32 * 32;
            float[] inputs = EquivalenceCheck.randomInput(manager, 4, 32, 3).toFloatArray();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try (OneDnnScorer first = open(deploy, 1); OneDnnScorer second = open(deploy, 1)) {
                float[][] expected = first.logits(inputs, 4, 32);
                List<Future<float[][]>> runs = new ArrayList<>();
                for (int i = 0; i < 24; i++) {
                    OneDnnScorer scorer = i % 2 == 0 ? first : second;
                    int batch = 1 + i % 4; // changing batch sizes: plans compiled and dropped meanwhile
                    runs.add(pool.submit(() -> scorer.logits(Arrays.copyOf(inputs, batch * image), batch, 32)));
                }
                for (Future<float[][]> run : runs) {
                    float[][] got = run.get();
                    for (int row = 0; row < got.length; row++) {
                        double scale = 0;
                        double diff = 0;
                        for (int c = 0; c < got[row].length; c++) {
                            scale = Math.max(scale, Math.abs(expected[row][c]));
                            diff = Math.max(diff, Math.abs(got[row][c] - expected[row][c]));
                        }
                        assertThat(diff).isLessThanOrEqualTo(1e-4 * scale);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void refusesWeightsOfAnotherNetworkNamingTheKey() {
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedModel deploy = deployModel(RepVggSpec.parse("depths=1,1,1,1;widths=0.25,0.25,0.25,0.25"), 32, manager);
            StateDict weights = NetworkWeights.of(deploy.network());
            StateDict missing = new StateDict();
            weights.keys().stream().filter(k -> !k.equals("stage2.0.rbr_reparam.bias"))
                    .forEach(k -> missing.put(k, weights.get(k)));
            StateDict extra = new StateDict();
            weights.keys().forEach(k -> extra.put(k, weights.get(k)));
            extra.put("stage4.1.rbr_reparam.bias", weights.get("linear.bias"));

            assertThatThrownBy(() -> OneDnnScorer.open(deploy.config(), missing, 0))
                    .hasMessageContaining("missing key 'stage2.0.rbr_reparam.bias'");
            assertThatThrownBy(() -> OneDnnScorer.open(deploy.config(), extra, 0))
                    .hasMessageContaining("unexpected key 'stage4.1.rbr_reparam.bias'");
        }
    }

    @Test
    void refusesSqueezeExcitationAndTheTrainForm() {
        RepVggSpec se = RepVggSpec.parse("depths=1,1,1,1;widths=0.25,0.25,0.25,0.25;se=true");
        ModelConfig seConfig = new ModelConfig(se, Form.DEPLOY, ModelConfig.numberedClasses(2),
                Preprocessing.imagenet(32), Map.of());
        ModelConfig train = new ModelConfig(QUARTER_A0, Form.TRAIN, ModelConfig.numberedClasses(2),
                Preprocessing.imagenet(32), Map.of());

        assertThatThrownBy(() -> OneDnnScorer.open(seConfig, new StateDict(), 0))
                .hasMessageContaining("squeeze-excitation").hasMessageContaining("--engine onnxruntime");
        assertThatThrownBy(() -> OneDnnScorer.open(train, new StateDict(), 0))
                .hasMessageContaining("runs the deploy form");
    }

    @Test
    void oneDnnsOpenMpRuntimeStaysOutOfTheGlobalSymbolScope() {
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedModel deploy = deployModel(RepVggSpec.parse("depths=1,1,1,1;widths=0.25,0.25,0.25,0.25"), 32, manager);
            try (OneDnnScorer scorer = open(deploy, 1)) {
                scorer.logits(new float[2 * 3 * 32 * 32], 2, 32); // sets the thread count through libgomp
            }
        }
        // Were it global, libtorch's calls bound later would go to this libgomp, not libtorch's own copy
        // (training steps after an onednn run then gave NaN losses).
        assertThatThrownBy(() -> com.sun.jna.NativeLibrary.getProcess().getFunction("GOMP_parallel"))
                .isInstanceOf(UnsatisfiedLinkError.class);
    }
}
