package org.repvgg4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.repvgg4j.data.ImageTransform;
import org.repvgg4j.data.ListDataset;
import org.repvgg4j.data.ClassIndex;
import org.repvgg4j.data.ListFile;
import org.repvgg4j.data.Sample;
import org.repvgg4j.eval.ClassificationReport;
import org.repvgg4j.infer.Classifier;
import org.repvgg4j.infer.Scores;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Score a model on a labelled list: top-1, top-5, per-class precision, recall, F1 and",
            "support, macro and weighted averages. With --out: report.md, per_class.csv, confusion.csv,",
            "confusion.png, predictions.csv (path, true, predicted, score of each class) and misclassified.txt."})
final class EvalCommand extends Subcommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Option(names = "--list", required = true, paramLabel = "FILE", description = "labelled list (<image path> <label> per line)")
    Path list;

    @Option(names = "--out", paramLabel = "DIR", description = "folder for the report files")
    Path out;

    @Option(names = "--json", description = "print the summary as one JSON object")
    boolean json;

    @Option(names = "--batch-size", defaultValue = "32", paramLabel = "N",
            description = "images per forward pass (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--workers", paramLabel = "N", description = "image decoding threads (default: one per core)")
    Integer workers;

    @Option(names = "--quiet", description = "no progress: errors and the report only")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        if (batchSize < 1 || (workers != null && workers < 1)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--batch-size and --workers must be at least 1");
        }
        try (Classifier classifier = model.open(); NDManager manager = NDManager.newBaseManager()) {
            List<String> classes = classifier.classes();
            ListFile file = ListFile.read(list);
            List<Sample> samples;
            ClassIndex listClasses = model.classes != null ? ClassIndex.read(model.classes) : null;
            if (listClasses != null && !listClasses.names().equals(classes)) {
                // The model names its own outputs; --classes then says what the list's numbers mean.
                file.check(listClasses.size(), model.classes);
                int[] output = listClasses.positionsIn(classes, model.classes);
                samples = file.samples().stream().map(s -> new Sample(s.path(), output[s.label()])).toList();
                err().println("eval: labels of " + list + " read by class name: " + model.classes
                        + " numbers the classes in another order than the model");
            } else {
                file.check(classes.size(), model.classSource());
                samples = file.samples();
            }
            ClassificationReport report = new ClassificationReport(classes);
            ReportFiles files = new ReportFiles(report);
            int threads = workers != null ? workers : Runtime.getRuntime().availableProcessors();
            ProgressLine bar = ProgressLine.of(err(), quiet);
            long started = System.nanoTime();
            int skipped;
            List<String> problems;
            try (ListDataset data = new ListDataset(samples, ImageTransform.eval(classifier.preprocessing()),
                    new ListDataset.Options(batchSize, false, false, 0, threads, 4))) {
                int done = 0;
                for (Batch batch : data.getData(manager)) {
                    try (batch) {
                        int[] labels = batch.getLabels().singletonOrThrow().toIntArray();
                        int n = labels.length;
                        float[][] logits = classifier.logits(batch.getData().singletonOrThrow().toFloatArray(), n);
                        List<?> indices = batch.getIndices();
                        for (int i = 0; i < n; i++) {
                            Sample s = samples.get((Integer) indices.get(i));
                            files.add(s.path().toString(), labels[i], Scores.softmax(logits[i]));
                        }
                        done += n;
                        double rate = done / ((System.nanoTime() - started) / 1e9);
                        bar.update("eval", done, samples.size(), String.format(Locale.ROOT, "%.1f img/s", rate), rate,
                                samples.size() - done);
                    }
                }
                bar.finish();
                skipped = data.skippedImages();
                problems = data.problems();
            }
            if (out != null) {
                files.write(out, model.model + " on " + list);
            }
            if (json) {
                out().println(ReportFiles.toJson(report, skipped));
            } else {
                out().print(report.toMarkdown());
                if (out != null) {
                    out().println("\nwrote " + out + "/" + ReportFiles.LISTING);
                }
            }
            if (skipped > 0) {
                err().println("eval: " + skipped + " unreadable image(s) skipped; first: " + problems.get(0));
            }
        }
        return 0;
    }
}
