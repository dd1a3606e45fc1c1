package org.repvgg4j.api;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.ndarray.NDList;
import ai.djl.nn.LambdaBlock;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repvgg4j.data.ImageDecoder;
import org.repvgg4j.data.ImageTransform;
import org.repvgg4j.weights.ModelDirectory;
import org.repvgg4j.weights.Preprocessing;

/** DJL users load our model directories with nothing but {@code Criteria} and get our answers. */
class DjlIntegrationTest {

    @TempDir
    Path tmp;

    @Test
    void modelDirectoriesTellDjlTheirEngineBlockAndTranslator() throws Exception {
        Path dir = TinyModels.trainForm(tmp.resolve("m"), 11);
        Properties serving = new Properties();
        serving.load(Files.newBufferedReader(dir.resolve("serving.properties"), StandardCharsets.UTF_8));
        assertThat(serving.getProperty("engine")).isEqualTo("PyTorch");
        assertThat(serving.getProperty("blockFactory")).isEqualTo(RepVggBlockFactory.class.getName());
        assertThat(serving.getProperty("translatorFactory")).isEqualTo(RepVggTranslatorFactory.class.getName());
        assertThat(serving.getProperty("option.hasParameter")).isEqualTo("false");
        assertThat(serving.getProperty("toTensor")).isEqualTo("false");
        assertThat(Files.readAllLines(dir.resolve("synset.txt"))).isEqualTo(TinyModels.classes());
    }

    /** Top-5 through {@code Criteria} with no option but the path equals our API's, train and deploy form. */
    @Test
    void criteriaOnAModelDirectoryGivesTheTopFiveOfOurApi() throws Exception {
        Path train = TinyModels.trainForm(tmp.resolve("train"), 12);
        Path deploy = tmp.resolve("deploy");
        assertThat(Deploy.convert(train, deploy).holds()).isTrue();
        List<Path> images = TinyModels.images(3);
        for (Path dir : List.of(train, deploy)) {
            Criteria<Image, Classifications> criteria = Criteria.builder()
                    .setTypes(Image.class, Classifications.class).optModelPath(dir).build();
            try (ZooModel<Image, Classifications> zoo = criteria.loadModel();
                    Predictor<Image, Classifications> predictor = zoo.newPredictor();
                    RepVggModel ours = RepVggModel.load(dir, LoadOptions.defaults().withEngine("pytorch"))) {
                for (Path image : images) {
                    Classifications djl = predictor.predict(ImageFactory.getInstance().fromFile(image));
                    Prediction mine = ours.classify(image);
                    List<Classifications.Classification> top = djl.topK();
                    assertThat(top).extracting(Classifications.Classification::getClassName).as("%s on %s", image, dir)
                            .isEqualTo(mine.top().stream().map(ClassScore::label).toList());
                    for (int i = 0; i < top.size(); i++) {
                        assertThat(top.get(i).getProbability()).isCloseTo(mine.top().get(i).probability(),
                                org.assertj.core.api.Assertions.within(1e-5));
                    }
                }
            }
        }
    }

    @Test
    void criteriaTakesImageFilesAndATopKArgumentToo() throws Exception {
        Path dir = TinyModels.trainForm(tmp.resolve("m"), 13);
        Path image = TinyModels.images(1).get(5);
        Criteria<Path, Classifications> criteria = Criteria.builder().setTypes(Path.class, Classifications.class)
                .optModelPath(dir).optArgument("topK", 3).build();
        try (ZooModel<Path, Classifications> zoo = criteria.loadModel();
                Predictor<Path, Classifications> predictor = zoo.newPredictor();
                RepVggModel ours = RepVggModel.load(dir, LoadOptions.defaults().withEngine("pytorch").withTopK(3))) {
            List<Classifications.Classification> top = predictor.predict(image).topK();
            assertThat(top).extracting(Classifications.Classification::getClassName)
                    .isEqualTo(ours.classify(image).top().stream().map(ClassScore::label).toList());
        }
    }

    /** The translator's input tensor is our evaluation transform's, value for value. */
    @Test
    void translatorInputIsOurEvalTransformOutput() throws Exception {
        Preprocessing p = new Preprocessing(24, 30, List.of(0.5, 0.4, 0.3), List.of(0.2, 0.25, 0.3));
        RepVggTranslator translator = new RepVggTranslator(List.of("a", "b"), p.inputSize(), p.resizeSize(), p.mean(),
                p.std(), 2);
        // An identity network hands the preprocessed tensor back through DJL's own predictor machinery.
        try (Model model = Model.newInstance("identity", "PyTorch")) {
            model.setBlock(new LambdaBlock(list -> list));
            try (Predictor<Image, float[]> predictor = model.newPredictor(new Translator<Image, float[]>() {
                @Override
                public NDList processInput(TranslatorContext ctx, Image input) throws Exception {
                    return translator.processInput(ctx, input);
                }

                @Override
                public float[] processOutput(TranslatorContext ctx, NDList list) {
                    return list.singletonOrThrow().toFloatArray();
                }
            })) {
                Path resources = Path.of("src/test/resources/images").toAbsolutePath();
                for (Path image : List.of(TinyModels.images(1).get(0), resources.resolve("rgb.png"),
                        resources.resolve("gray16.png"))) {
                    float[] djl = predictor.predict(ImageFactory.getInstance().fromFile(image));
                    float[] ours = ImageTransform.eval(p).apply(ImageDecoder.read(image), null);
                    assertThat(djl).as("%s", image).containsExactly(ours);
                }
            }
        }
    }
}
