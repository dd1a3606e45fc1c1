package org.repvgg4j.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.repvgg4j.eval.ClassificationReport;
import org.repvgg4j.eval.Csv;

/**
 * The report files {@code eval} and {@code report} both write, from a filled {@link ClassificationReport}
 * plus one prediction per image: report.md, per_class.csv, confusion.csv, confusion.png,
 * predictions.csv and misclassified.txt; and the JSON summary both print with {@code --json}.
 */
final class ReportFiles {

    static final String LISTING = "{report.md, per_class.csv, confusion.csv, confusion.png, predictions.csv, "
            + "misclassified.txt}";

    private final ClassificationReport report;
    private final List<String> predictions = new ArrayList<>();
    private final List<String> misclassified = new ArrayList<>();

    ReportFiles(ClassificationReport report) {
        this.report = report;
    }

    /** Adds one labelled image to the report and to the prediction files; returns the predicted class. */
    int add(String path, int label, float[] probabilities) {
        int predicted = report.add(label, probabilities);
        List<String> classes = report.classes();
        StringBuilder line = new StringBuilder(Csv.field(path)).append(',').append(Csv.field(classes.get(label)))
                .append(',').append(Csv.field(classes.get(predicted)));
        for (float v : probabilities) {
            line.append(String.format(Locale.ROOT, ",%.6f", v));
        }
        predictions.add(line.toString());
        if (predicted != label) {
            misclassified.add(String.format(Locale.ROOT, "%s\t%s\t%s\t%.4f", path, classes.get(label),
                    classes.get(predicted), probabilities[predicted]));
        }
        return predicted;
    }

    void write(Path out, String title) throws IOException {
        Files.createDirectories(out);
        List<String> classes = report.classes();
        Files.writeString(out.resolve("report.md"), "# " + title + "\n\n" + report.toMarkdown());
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
}
