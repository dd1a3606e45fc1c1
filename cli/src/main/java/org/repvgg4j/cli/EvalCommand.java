package org.repvgg4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.repvgg4j.data.ImageTransform;
import org.repvgg4j.data.ListDataset;
import org.repvgg4j.data.ListEntry;
import org.repvgg4j.data.ListFile;
import org.repvgg4j.data.Sample;
import org.repvgg4j.eval.ClassificationReport;
import org.repvgg4j.eval.Csv;
import org.repvgg4j.weights.LoadedModel;
import org.repvgg4j.weights.ModelDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Score a model on a labelled list: top-1, top-5, per-class precision, recall, F1 and",
            "support, macro and weighted averages. With --out: report.md, per_class.csv, confusion.csv,",
            "confusion.png, predictions.csv (path, true, predicted, score of each class) and misclassified.txt."})
final class EvalCommand extends Subcommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "model directory (train or deploy form)")
    Path model;

    @Option(names = "--list", required = true, paramLabel = "FILE", description = "labelled list (<image path> <label> per line)")
    Path list;

    @Option(names = "--out", paramLabel = "DIR", description = "folder for the report files")
    Path out;

    @Option(names = "--json", description = "print the summary as one JSON object")
    boolean json;

    @Option(names = "--batch-size", defaultValue = "32", description = "default: ${DEFAULT-VALUE}")
    int batchSize;

    @Option(names = "--workers", description = "image decoding threads (default: one per core)")
    Integer workers;

    @Override
    public Integer call() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedModel loaded = ModelDirectory.load(model, manager);
            List<String> classes = loaded.config().classes();
            ListFile file = ListFile.read(list);
            file.check(classes.size(), model.resolve(ModelDirectory.CONFIG_FILE));
            List<Sample> samples = file.samples();
            ClassificationReport report = new ClassificationReport(classes);
            List<String> predictions = new ArrayList<>();
            List<String> misclassified = new ArrayList<>();
            int threads = workers != null ? workers : Runtime.getRuntime().availableProcessors();
            ProgressLine bar = new ProgressLine(err());
            long started = System.nanoTime();
            int skipped;
            List<String> problems;
            try (ListDataset data = new ListDataset(samples, ImageTransform.eval(loaded.config().preprocessing()),
                    new ListDataset.Options(batchSize, false, false, 0, threads, 4))) {
                int done = 0;
                for (Batch batch : data.getData(manager)) {
                    try (batch) {
                        float[] logits = loaded.network().infer(batch.getData().singletonOrThrow()).toFloatArray();
                        int[] labels = batch.getLabels().singletonOrThrow().toIntArray();
                        List<?> indices = batch.getIndices();
                        int n = labels.length;
                        int c = classes.size();
                        for (int i = 0; i < n; i++) {
                            float[] row = java.util.Arrays.copyOfRange(logits, i * c, (i + 1) * c);
                            int predicted = report.add(labels[i], row);
                            float[] p = softmax(row);
                            Sample s = samples.get((Integer) indices.get(i));
                            StringBuilder line = new StringBuilder(Csv.field(s.path().toString())).append(',')
                                    .append(Csv.field(classes.get(labels[i]))).append(',').append(Csv.field(classes.get(predicted)));
                            for (float v : p) {
                                line.append(String.format(Locale.ROOT, ",%.6f", v));
                            }
                            predictions.add(line.toString());
                            if (predicted != labels[i]) {
                                misclassified.add(String.format(Locale.ROOT, "%s\t%s\t%s\t%.4f", s.path(),
                                        classes.get(labels[i]), classes.get(predicted), p[predicted]));
                            }
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
                writeFiles(report, predictions, misclassified, classes);
            }
            if (json) {
                out().println(toJson(report, skipped));
            } else {
                out().print(report.toMarkdown());
                if (out != null) {
                    out().println("\nwrote " + out + "/{report.md, per_class.csv, confusion.csv, confusion.png, "
                            + "predictions.csv, misclassified.txt}");
                }
            }
            if (skipped > 0) {
                err().println("eval: " + skipped + " unreadable image(s) skipped; first: " + problems.get(0));
            }
        }
        return 0;
    }

    private void writeFiles(ClassificationReport report, List<String> predictions, List<String> misclassified,
            List<String> classes) throws java.io.IOException {
        Files.createDirectories(out);
        Files.writeString(out.resolve("report.md"), "# " + model + " on " + list + "\n\n" + report.toMarkdown());
        StringBuilder perClass = new StringBuilder("class,precision,recall,f1,support\n");
        List<ClassificationReport.ClassRow> rows = new ArrayList<>(report.rows());
        rows.add(report.macroAverage());
        rows.add(report.weightedAverage());
        for (ClassificationReport.ClassRow r : rows) {
            perClass.append(String.format(Locale.ROOT, "%s,%.6f,%.6f,%.6f,%d%n", Csv.field(r.name()), r.precision(),
                    r.recall(), r.f1(), r.support()));
        }
        Files.writeString(out.resolve("per_class.csv"), perClass);
        Files.writeString(out.resolve("confusion.csv"), report.confusionCsv());
        report.writeHeatmap(out.resolve("confusion.png"));
        try (BufferedWriter w = Files.newBufferedWriter(out.resolve("predictions.csv"), StandardCharsets.UTF_8)) {
            w.write("path,true,predicted");
            for (String c : classes) {
                w.write(",score_" + Csv.field(c));
            }
            w.write('\n');
            for (String line : predictions) {
                w.write(line);
                w.write('\n');
            }
        }
        Files.write(out.resolve("misclassified.txt"), misclassified);
    }

    static String toJson(ClassificationReport report, int skipped) {
        JsonObject o = new JsonObject();
        o.addProperty("images", report.count());
        o.addProperty("skipped", skipped);
        o.addProperty("top1", report.top1());
        o.addProperty("top5", report.top5());
        JsonArray perClass = new JsonArray();
        for (ClassificationReport.ClassRow r : report.rows()) {
            perClass.add(row(r));
        }
        o.add("per_class", perClass);
        o.add("macro_avg", row(report.macroAverage()));
        o.add("weighted_avg", row(report.weightedAverage()));
        return new GsonBuilder().disableHtmlEscaping().create().toJson(o);
    }

    private static JsonObject row(ClassificationReport.ClassRow r) {
        JsonObject o = new JsonObject();
        o.addProperty("class", r.name());
        o.addProperty("precision", r.precision());
        o.addProperty("recall", r.recall());
        o.addProperty("f1", r.f1());
        o.addProperty("support", r.support());
        return o;
    }

    private static float[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] e = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            e[i] = Math.exp(logits[i] - max);
            sum += e[i];
        }
        float[] p = new float[logits.length];
        for (int i = 0; i < logits.length; i++) {
            p[i] = (float) (e[i] / sum);
        }
        return p;
    }
}
