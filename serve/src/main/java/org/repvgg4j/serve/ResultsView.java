package org.repvgg4j.serve;

import com.google.gson.annotations.SerializedName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.repvgg4j.data.ListEntry;
import org.repvgg4j.data.ListFile;
import org.repvgg4j.eval.ClassificationReport;
import org.repvgg4j.infer.BatchResults;
import org.repvgg4j.infer.Scores;

/**
 * A {@code repvgg batch} output folder read against its labelled list, as {@code repvgg report} reads it:
 * the per-class report, the confusion matrix, and for each cell the images in it with their scores. Only
 * images the list names can be fetched, by their path exactly as listed (absolute, normalised).
 */
final class ResultsView {

    record Row(String name, double precision, double recall, double f1, long support) {}

    record Summary(String results, String list, List<String> classes, long images, double top1, double top5,
            List<Row> rows, Row macro, long[][] confusion, long skipped) {}

    record CellImage(String path, String label, String predicted, @SerializedName("top") List<Answers.ClassScore> top) {}

    private final Summary summary;
    private final Map<Long, List<CellImage>> cells;
    private final Map<String, Path> listed;

    private ResultsView(Summary summary, Map<Long, List<CellImage>> cells, Map<String, Path> listed) {
        this.summary = summary;
        this.cells = cells;
        this.listed = listed;
    }

    static ResultsView read(Path results, Path listFile) throws IOException {
        BatchResults saved = BatchResults.open(results);
        List<String> classes = saved.classes();
        ListFile list = ListFile.read(listFile);
        list.check(classes.size(), listFile);
        Map<String, Integer> labelOf = new HashMap<>();
        Map<String, Path> listed = new HashMap<>();
        for (ListEntry e : list.entries()) {
            Path path = e.path().toAbsolutePath().normalize();
            labelOf.put(path.toString(), e.label().getAsInt());
            listed.put(path.toString(), path);
        }
        ClassificationReport report = new ClassificationReport(classes);
        Map<Long, List<CellImage>> cells = new HashMap<>();
        long[] skipped = {0};
        saved.forEachRow(row -> {
            Integer label = labelOf.get(row.path());
            if (label == null) {
                return;
            }
            if (row.scores() == null) {
                skipped[0]++;
                return;
            }
            int predicted = report.add(label, row.scores());
            List<Answers.ClassScore> top = new ArrayList<>();
            for (int i : Scores.topK(row.scores(), Math.min(3, classes.size()))) {
                top.add(new Answers.ClassScore(i, classes.get(i), row.scores()[i]));
            }
            cells.computeIfAbsent(cell(label, predicted, classes.size()), c -> new ArrayList<>())
                    .add(new CellImage(row.path(), classes.get(label), classes.get(predicted), top));
        });
        List<Row> rows = report.rows().stream().map(ResultsView::row).toList();
        Summary summary = new Summary(results.toString(), listFile.toString(), classes, report.count(), report.top1(),
                report.top5(), rows, row(report.macroAverage()), report.confusion(), skipped[0]);
        return new ResultsView(summary, cells, listed);
    }

    private static Row row(ClassificationReport.ClassRow r) {
        return new Row(r.name(), r.precision(), r.recall(), r.f1(), r.support());
    }

    private static long cell(int actual, int predicted, int classes) {
        return (long) actual * classes + predicted;
    }

    Summary summary() {
        return summary;
    }

    /** The images whose label is {@code actual} and whose top class is {@code predicted}. */
    List<CellImage> cell(int actual, int predicted) {
        int n = summary.classes().size();
        if (actual < 0 || actual >= n || predicted < 0 || predicted >= n) {
            throw ApiError.badRequest("actual=" + actual + ", predicted=" + predicted + ": give class indices 0.." + (n - 1));
        }
        return cells.getOrDefault(cell(actual, predicted, n), List.of());
    }

    /**
     * The file of a listed image. Anything else, whatever it resolves to ({@code ../}, another absolute
     * path), is 404: the lookup is by the listed path's exact text, never by resolving the request's.
     */
    Path image(String path) {
        Path file = path == null ? null : listed.get(path);
        if (file == null) {
            throw new ApiError(404, "not an image of the results list: " + path);
        }
        return file;
    }

    static String contentType(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".png")) {
            return "image/png";
        }
        if (name.endsWith(".jpg") || name.endsWith(".jpeg")) {
            return "image/jpeg";
        }
        if (name.endsWith(".gif")) {
            return "image/gif";
        }
        if (name.endsWith(".webp")) {
            return "image/webp";
        }
        if (name.endsWith(".bmp")) {
            return "image/bmp";
        }
        return "application/octet-stream";
    }

    static boolean exists(Path file) {
        return Files.isRegularFile(file);
    }
}
