package org.repvgg4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.repvgg4j.infer.ExportedModel;
import org.repvgg4j.model.Complexity;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.ModelDirectory;
import org.repvgg4j.weights.WeightChecksums;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = {"Parameters and multiply-adds of the train and deploy forms, per stage and in total,",
            "of an architecture, a model directory or a file written by 'repvgg export' (format and precision too)."})
final class InfoCommand extends Subcommand implements Callable<Integer> {

    static final class Source {
        @Option(names = "--arch", converter = ArchConverter.class, description = "a RepVGG variant or custom spec")
        RepVggSpec arch;

        @Option(names = "--model", paramLabel = "DIR|FILE.onnx|FILE.pt",
                description = "a model directory, or a file written by 'repvgg export'")
        Path model;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--classes", description = "classes in the head (default: the model's, or 1000)")
    Integer classes;

    @Option(names = "--image-size", description = "input size (default: the model's, or 224)")
    Integer imageSize;

    @Override
    public Integer call() throws Exception {
        RepVggSpec spec;
        int numClasses = 1000;
        int size = 224;
        if (source.model != null && Files.isRegularFile(source.model)) {
            ExportedModel file = ExportedModel.read(source.model);
            spec = file.spec();
            numClasses = file.numClasses();
            size = file.inputSize();
            out().printf(Locale.ROOT, "model %s: %s, deploy form, %s, %.1f MB%n", source.model, file.format(),
                    file.precision().id(), Files.size(source.model) / 1e6);
        } else if (source.model != null) {
            ModelConfig config = ModelDirectory.readConfig(source.model);
            // What info reports must be what loading would use: a damaged or truncated file fails here too.
            WeightChecksums.verify(source.model);
            if (!Files.isRegularFile(source.model.resolve(ModelDirectory.WEIGHTS_FILE))) {
                throw new java.nio.file.NoSuchFileException(source.model.resolve(ModelDirectory.WEIGHTS_FILE).toString(),
                        null, "missing " + ModelDirectory.WEIGHTS_FILE);
            }
            spec = config.spec();
            numClasses = config.numClasses();
            size = config.preprocessing().inputSize();
            out().printf("model %s: %s form%n", source.model, config.form().id());
        } else {
            spec = source.arch;
        }
        if (classes != null) {
            numClasses = classes;
        }
        if (imageSize != null) {
            size = imageSize;
        }
        Complexity train = Complexity.of(spec, Form.TRAIN, numClasses, size);
        Complexity deploy = Complexity.of(spec, Form.DEPLOY, numClasses, size);
        out().printf("RepVGG-%s, %d classes, input %dx%d%n", spec.name(), numClasses, size, size);
        out().printf("  train form:  %,d parameters (%s), %s multiply-adds%n",
                train.params(), Format.millions(train.params()), Format.giga(train.macs()));
        out().printf("  deploy form: %,d parameters (%s), %s multiply-adds%n",
                deploy.params(), Format.millions(deploy.params()), Format.giga(deploy.macs()));
        out().println();
        out().printf("%-6s %6s %8s %9s %13s %13s %13s %13s%n",
                "stage", "blocks", "channels", "output", "train params", "deploy params", "train MACs", "deploy MACs");
        for (int i = 0; i < train.stages().size(); i++) {
            Complexity.StageRow t = train.stages().get(i);
            Complexity.StageRow d = deploy.stages().get(i);
            out().printf("%-6s %6d %8d %9s %13s %13s %13s %13s%n",
                    "stage" + t.stage(), t.blocks(), t.channels(), t.outputSize() + "x" + t.outputSize(),
                    Format.millions(t.params()), Format.millions(d.params()), Format.giga(t.macs()), Format.giga(d.macs()));
        }
        out().printf("%-6s %6s %8d %9s %13s %13s %13s %13s%n", "head", "", numClasses, "",
                Format.millions(train.headParams()), Format.millions(deploy.headParams()),
                Format.giga(train.headMacs()), Format.giga(deploy.headMacs()));
        out().printf("%-6s %6s %8s %9s %13s %13s %13s %13s%n", "total", "", "", "",
                Format.millions(train.params()), Format.millions(deploy.params()),
                Format.giga(train.macs()), Format.giga(deploy.macs()));
        out().println();
        out().println("Parameters exclude BN running statistics (buffers). Multiply-adds count convolutions,");
        out().println("SE and the linear head, not element-wise work (BN, ReLU, branch sums).");
        return 0;
    }
}
