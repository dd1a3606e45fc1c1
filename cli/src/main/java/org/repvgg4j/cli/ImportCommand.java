package org.repvgg4j.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.weights.CheckpointImporter;
import org.repvgg4j.weights.ImportedCheckpoint;
import org.repvgg4j.weights.KeyLayout;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.ModelDirectory;
import org.repvgg4j.weights.NetworkWeights;
import org.repvgg4j.weights.Preprocessing;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Import a PyTorch RepVGG checkpoint as a model directory: a torch.save .pth",
            "(zip) or .safetensors file with official, timm or mmcls key names, in train or",
            "deploy form. Layout, form and arch are detected from keys and shapes unless",
            "given. --classes/--num-classes with another count than the checkpoint's head",
            "keep the backbone and re-initialise the head for fine-tuning."})
final class ImportCommand extends Subcommand implements Callable<Integer> {

    @Option(names = "--weights", required = true, paramLabel = "FILE", description = "checkpoint: .pth/.pt (zip) or .safetensors")
    Path weights;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "model directory to write")
    Path out;

    @Option(names = "--arch", converter = ArchConverter.class,
            description = "the checkpoint's variant (default: detected from its shapes)")
    RepVggSpec arch;

    @Option(names = "--layout", converter = LayoutConverter.class,
            description = "official, timm or mmcls key names (default: detected)")
    KeyLayout layout;

    @Option(names = "--form", converter = FormConverter.class,
            description = "train or deploy: what the checkpoint holds (default: detected)")
    Form form;

    static final class Classes {
        @Option(names = "--classes", paramLabel = "FILE|N",
                description = "class file (annotations.txt: '<name> <index>' per line) or a count")
        String classes;

        @Option(names = "--num-classes", paramLabel = "N", description = "number of classes (named class_0 ...)")
        Integer numClasses;
    }

    @ArgGroup(exclusive = true)
    Classes classes;

    @Option(names = "--keep-head",
            description = "keep the checkpoint's head: a different class count in --classes/--num-classes is then an error")
    boolean keepHead;

    @Option(names = "--image-size", defaultValue = "224", description = "input size (default: ${DEFAULT-VALUE})")
    int imageSize;

    @Option(names = "--seed", defaultValue = "0", description = "seed of a re-initialised head (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ImportedCheckpoint imported = CheckpointImporter.read(weights,
                    new CheckpointImporter.Hints(arch, layout, form), manager);
            out().printf("read %s: %s, %d tensors (%s%s)%n", weights, imported.format().description(),
                    imported.weights().size(), imported.container(),
                    imported.strippedPrefix().isEmpty() ? "" : ", '" + imported.strippedPrefix() + "' prefix removed");
            out().printf("  %s key names%s, %s form, arch %s%s%n", imported.layout().id(),
                    imported.layoutDetected() ? " (detected)" : "", imported.form().id(), imported.spec().name(),
                    imported.archDetected() ? " (detected from shapes)" : "");

            List<String> names = classNames(imported);
            Map<String, String> provenance = new LinkedHashMap<>();
            provenance.put("created_by", "repvgg import");
            provenance.put("created_at", Instant.now().toString());
            provenance.putAll(imported.provenance());
            int checkpointClasses = imported.headClasses().orElse(0);
            if (names.size() != checkpointClasses) {
                String had = checkpointClasses == 0 ? "the checkpoint has no head"
                        : "the checkpoint's head has " + checkpointClasses + " classes";
                imported = imported.withFreshHead(names.size(), seed, manager);
                String note = "re-initialised for " + names.size() + " classes (" + had + "): random, PyTorch's default"
                        + " init, seed " + seed;
                provenance.put("head", note);
                out().println("  head " + note + "; the backbone is the checkpoint's. Fine-tune before use.");
            } else {
                provenance.put("head", "from the checkpoint");
                out().printf("  head kept: %d classes%n", names.size());
            }

            RepVgg net = imported.network(imageSize, manager);
            ModelConfig config = new ModelConfig(imported.spec(), imported.form(), names,
                    Preprocessing.imagenet(imageSize), provenance);
            ModelDirectory.write(out, config, NetworkWeights.of(net));
            out().printf("wrote %s: RepVGG-%s, %s form, %d classes, input %dx%d%n", out, imported.spec().name(),
                    imported.form().id(), names.size(), imageSize, imageSize);
        }
        return 0;
    }

    /** The classes the model directory gets: the user's, or the checkpoint's count as class_0 ... */
    private List<String> classNames(ImportedCheckpoint imported) throws java.io.IOException {
        List<String> names = null;
        String given = null;
        if (classes != null && classes.classes != null) {
            names = InitCommand.classNames(classes.classes);
            given = classes.classes.matches("\\d+") ? "--classes " + classes.classes : classes.classes;
        } else if (classes != null && classes.numClasses != null) {
            if (classes.numClasses < 1) {
                throw new IllegalArgumentException("--num-classes must be at least 1");
            }
            names = ModelConfig.numberedClasses(classes.numClasses);
            given = "--num-classes " + classes.numClasses;
        }
        if (names == null) {
            if (imported.headClasses().isEmpty()) {
                throw new IllegalArgumentException(weights + ": has no classifier head ('linear.weight' or its "
                        + imported.layout().id() + " name); give --classes or --num-classes for a new one");
            }
            return ModelConfig.numberedClasses(imported.headClasses().getAsInt());
        }
        if (keepHead && imported.headClasses().orElse(-1) != names.size()) {
            throw new IllegalArgumentException(given + " has " + names.size() + " classes but " + weights
                    + (imported.headClasses().isEmpty() ? " has no classifier head"
                    : "'s head has " + imported.headClasses().getAsInt())
                    + "; drop --keep-head to re-initialise the head for " + names.size() + " classes");
        }
        return names;
    }
}
