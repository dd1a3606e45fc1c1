package org.repvgg4j.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.repvgg4j.bench.ForwardBench;
import org.repvgg4j.bench.Measurement;
import org.repvgg4j.model.Complexity;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.reparam.EquivalenceCheck;
import org.repvgg4j.reparam.VerifiedConversion;
import org.repvgg4j.weights.LoadedModel;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.ModelDirectory;
import org.repvgg4j.weights.NetworkWeights;
import org.repvgg4j.weights.Preprocessing;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"The main job, end to end on this machine: build RepVGG-A0, convert it to deploy form,",
            "verify the two forms agree, reload from disk, and time both forms. Ends with a summary."})
final class DemoCommand extends Subcommand implements Callable<Integer> {

    @Option(names = "--out", defaultValue = "runs/demo", description = "working directory (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--arch", converter = ArchConverter.class, defaultValue = "A0",
            description = "variant (default: ${DEFAULT-VALUE})")
    RepVggSpec arch;

    @Option(names = "--image-size", defaultValue = "224", description = "input size (default: ${DEFAULT-VALUE})")
    int imageSize;

    @Override
    public Integer call() throws Exception {
        long started = System.nanoTime();
        Path trainDir = out.resolve("train");
        Path deployDir = out.resolve("deploy");
        int classes = 10;
        Map<String, String> summary = new LinkedHashMap<>();
        List<Measurement> timings = new ArrayList<>();
        Engine.getInstance().setRandomSeed(0);
        try (NDManager manager = NDManager.newBaseManager()) {
            step("1/5 init: RepVGG-%s train form, %d classes -> %s", arch.name(), classes, trainDir);
            RepVgg net = new RepVgg(arch, Form.TRAIN, classes);
            net.initialize(manager, imageSize);
            // Until training lands in the demo, random BN statistics stand in for trained ones so the
            // conversion check exercises every fusion step.
            EquivalenceCheck.randomizeBatchNorms(NetworkWeights.of(net), 0);
            Map<String, String> provenance = new LinkedHashMap<>();
            provenance.put("created_by", "repvgg demo");
            provenance.put("weights", "random, with random BN statistics (a stand-in for a trained model)");
            ModelConfig config = new ModelConfig(arch, Form.TRAIN, ModelConfig.numberedClasses(classes),
                    Preprocessing.imagenet(imageSize), provenance);
            ModelDirectory.write(trainDir, config, NetworkWeights.of(net));

            step("2/5 convert: fold 3x3, 1x1 and identity branches into one 3x3 conv per block -> %s", deployDir);
            LoadedModel train = ModelDirectory.load(trainDir, manager);
            VerifiedConversion.Result conversion = VerifiedConversion.run(train, manager, 2, 0);
            out().println("    check: " + conversion.equivalence());
            if (!conversion.equivalence().holds()) {
                throw new IllegalStateException("conversion check failed: " + conversion.equivalence());
            }
            ModelDirectory.write(deployDir, conversion.deploy().config(), conversion.weights());

            step("3/5 verify: reload %s from disk and compare with the train form", deployDir);
            LoadedModel deploy = ModelDirectory.load(deployDir, manager);
            double reloadDiff;
            try (NDManager scope = manager.newSubManager()) {
                NDArray x = EquivalenceCheck.randomInput(scope, 2, imageSize, 1);
                reloadDiff = deploy.network().infer(x).sub(conversion.deploy().network().infer(x)).abs().max().getFloat();
                var eq = EquivalenceCheck.compare(train.network(), deploy.network(), x, 1e-4);
                out().println("    reloaded deploy vs train: " + eq);
                out().printf(Locale.ROOT, "    reloaded deploy vs in-memory deploy: max |diff| = %.3g%n", reloadDiff);
                summary.put("train = deploy (new input, from disk)", String.format(Locale.ROOT, "relative diff %.2e %s",
                        eq.relativeDifference(), eq.holds() ? "(pass, limit 1e-4)" : "(FAIL)"));
                if (!eq.holds() || reloadDiff != 0) {
                    throw new IllegalStateException("reloaded deploy model differs: " + eq);
                }
            }

            step("4/5 time: batch 1 and 32 at %dx%d, both forms", imageSize, imageSize);
            for (int batch : new int[] {1, 32}) {
                int iterations = batch == 1 ? 20 : 5;
                for (RepVgg n : List.of(train.network(), deploy.network())) {
                    timings.add(ForwardBench.run(n, "RepVGG-" + arch.name(), batch, imageSize, 2, iterations, manager));
                }
            }
        }

        step("5/5 summary");
        Complexity trainCost = Complexity.of(arch, Form.TRAIN, classes, imageSize);
        Complexity deployCost = Complexity.of(arch, Form.DEPLOY, classes, imageSize);
        summary.put("parameters train / deploy", Format.millions(trainCost.params()) + " / " + Format.millions(deployCost.params()));
        summary.put("multiply-adds train / deploy", Format.giga(trainCost.macs()) + " / " + Format.giga(deployCost.macs()));
        BenchCommand.printTable(timings, out());
        out().println();
        summary.put("model directories", trainDir + " (train), " + deployDir + " (deploy)");
        summary.put("demo time", Format.fixed((System.nanoTime() - started) / 1e9, 1) + " s");
        int width = summary.keySet().stream().mapToInt(String::length).max().orElse(10);
        for (Map.Entry<String, String> e : summary.entrySet()) {
            out().printf("%-" + width + "s  %s%n", e.getKey(), e.getValue());
        }
        return 0;
    }

    private void step(String format, Object... args) {
        out().printf("== " + format + "%n", args);
    }
}
