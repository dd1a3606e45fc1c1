package org.repvgg4j.api;

import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.repvgg4j.weights.LoadedModel;
import org.repvgg4j.weights.ModelDirectory;

/**
 * The {@code BlockFactory} a model directory's {@code serving.properties} names: it builds the RepVGG
 * network (train or deploy form) that {@code model.json} describes and fills it with {@code
 * model.safetensors}, on the model's own engine, so DJL runs our directories as they are, without a
 * TorchScript file. The block takes preprocessed float NCHW batches ({@link RepVggTranslator}'s), or
 * decoded uint8 NHWC images, which it preprocesses as {@code model.json} says.
 *
 * <pre>{@code
 * try (Model model = Model.newInstance("flowers", "PyTorch")) {
 *     Path dir = Path.of("runs/flowers/deploy");
 *     model.setBlock(new RepVggBlockFactory().newBlock(model, dir, Map.of()));
 *     model.load(dir, null, Map.of("hasParameter", "false"));
 * }
 * }</pre>
 */
public final class RepVggBlockFactory implements BlockFactory {

    private static final long serialVersionUID = 1L;

    /**
     * The network of the model directory {@code modelPath} with its stored weights, held by {@code
     * model}'s manager; {@code arguments} are not used.
     */
    @Override
    public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) throws IOException {
        LoadedModel loaded = ModelDirectory.load(modelPath, model.getNDManager());
        return new PreprocessingBlock(loaded.network(), loaded.config().preprocessing());
    }
}
