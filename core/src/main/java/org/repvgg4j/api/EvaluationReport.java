package org.repvgg4j.api;

import java.util.List;
import org.repvgg4j.eval.ClassificationReport;

/**
 * A model's accuracy on a labelled list: top-1, top-5 and per-class precision, recall and F1, the
 * numbers {@code repvgg eval} prints.
 *
 * <pre>{@code
 * EvaluationReport report = model.evaluate(Path.of("data/val.txt"));
 * System.out.printf("top-1 %.4f top-5 %.4f on %d images%n", report.top1(), report.top5(), report.images());
 * System.out.print(report.markdown());
 * }</pre>
 *
 * @param top1 fraction of images whose most probable class is their label
 * @param top5 fraction of images whose label is among the five most probable classes
 * @param images images scored
 * @param skipped images that could not be read (not scored)
 * @param classes one row per class, in the model's class order
 * @param markdown the per-class table with macro and weighted averages, as {@code repvgg eval} prints it
 */
public record EvaluationReport(double top1, double top5, long images, int skipped, List<ClassResult> classes,
        String markdown) {

    public EvaluationReport {
        classes = List.copyOf(classes);
    }

    /** One class's numbers: precision, recall and F1 as fractions, support as the number of images labelled with it. */
    public record ClassResult(String label, double precision, double recall, double f1, long support) {
    }

    static EvaluationReport of(ClassificationReport report, int skipped) {
        List<ClassResult> rows = report.rows().stream()
                .map(r -> new ClassResult(r.name(), r.precision(), r.recall(), r.f1(), r.support())).toList();
        return new EvaluationReport(report.top1(), report.top5(), report.count(), skipped, rows, report.toMarkdown());
    }
}
