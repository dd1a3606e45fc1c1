package org.repvgg4j.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.repvgg4j.data.ClassIndex;
import org.repvgg4j.model.Complexity;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.ModelDirectory;
import org.repvgg4j.weights.NetworkWeights;
import org.repvgg4j.weights.Preprocessing;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "init", mixinStandardHelpOptions = true,
        description = "Write a freshly initialised train-form model directory (model.json + model.safetensors).")
final class InitCommand extends Subcommand implements Callable<Integer> {

    @Option(names = "--arch", required = true, converter = ArchConverter.class,
            description = "A0, A1, A2, B0, B1, B1g2, B1g4, B2, B2g2, B2g4, B3, B3g2, B3g4, D2se, "
                    + "or custom 'depths=2,4,14,1;widths=0.75,0.75,0.75,2.5[;groups=G][;se=true]'")
    RepVggSpec arch;

    @Option(names = "--classes", required = true,
            description = "number of classes, or a class file (annotations.txt: '<name> <index>' per line)")
    String classes;

    @Option(names = "--out", required = true, description = "model directory to write")
    Path out;

    @Option(names = "--image-size", defaultValue = "224", description = "input size (default: ${DEFAULT-VALUE})")
    int imageSize;

    @Option(names = "--seed", defaultValue = "0", description = "random seed of the initial weights (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        List<String> names = classNames(classes);
        ModelConfig config = new ModelConfig(arch, Form.TRAIN, names, Preprocessing.imagenet(imageSize),
                provenance());
        Engine.getInstance().setRandomSeed((int) seed);
        try (NDManager manager = NDManager.newBaseManager()) {
            RepVgg net = new RepVgg(arch, Form.TRAIN, names.size());
            net.initialize(manager, imageSize);
            ModelDirectory.write(out, config, NetworkWeights.of(net));
        }
        Complexity cost = Complexity.of(arch, Form.TRAIN, names.size(), imageSize);
        out().printf("wrote %s: RepVGG-%s, train form, %d classes, %s parameters, input %dx%d%n",
                out, arch.name(), names.size(), Format.millions(cost.params()), imageSize, imageSize);
        return 0;
    }

    private Map<String, String> provenance() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("created_by", "repvgg init");
        p.put("created_at", Instant.now().toString());
        p.put("weights", "random initialisation (PyTorch defaults: uniform +-1/sqrt(fan_in) weights, identity batch norms), seed " + seed);
        return p;
    }

    /** A number means that many numbered classes; anything else is a class file. */
    static List<String> classNames(String classes) throws java.io.IOException {
        if (classes.matches("\\d+")) {
            int n = Integer.parseInt(classes);
            if (n < 1) {
                throw new IllegalArgumentException("--classes must be at least 1");
            }
            return ModelConfig.numberedClasses(n);
        }
        Path file = Path.of(classes);
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("--classes " + classes + ": neither a number nor an existing class file");
        }
        return ClassIndex.read(file).names();
    }
}
