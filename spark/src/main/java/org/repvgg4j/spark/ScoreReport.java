package org.repvgg4j.spark;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.repvgg4j.data.ListEntry;
import org.repvgg4j.data.ListFile;
import org.repvgg4j.eval.ClassificationReport;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.ModelDirectory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The per-class report (top-1, top-5, precision/recall/F1 per class) of a scoring run's Parquet
 * output against a labelled list: the same table {@code repvgg eval} prints. The join runs in Spark
 * and the rows stream to the driver, so the output may be larger than the driver's memory.
 */
@Command(name = "ScoreReport", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Per-class report of a BatchScoring output against a labelled list.")
public final class ScoreReport implements Callable<Integer> {

    @Option(names = "--scores", required = true, description = "BatchScoring's Parquet output folder")
    String scores;

    @Option(names = "--list", required = true, description = "labelled list file ('<image path> <label index>')")
    Path list;

    @Option(names = "--model", required = true, description = "the model directory that scored (class names)")
    Path model;

    @Option(names = "--out", description = "also write the report here (Markdown)")
    Path reportFile;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final SparkSession given;

    public ScoreReport() {
        this(null);
    }

    ScoreReport(SparkSession session) {
        this.given = session;
    }

    /** The report and the listed images it could not include. */
    public record Result(ClassificationReport report, long unreadable, long notScored) {}

    private static final StructType LABELS = new StructType()
            .add("label_path", DataTypes.StringType, false)
            .add("label", DataTypes.IntegerType, false);

    public static void main(String[] args) {
        System.exit(new CommandLine(new ScoreReport()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        ModelConfig config = ModelDirectory.readConfig(model);
        ListFile labelled = ListFile.read(list);
        if (!labelled.labelled()) {
            throw new IllegalArgumentException(list + ": no labels (the report needs '<image path> <label index>' per line)");
        }
        for (ListEntry entry : labelled.entries()) {
            int label = entry.label().getAsInt();
            if (label < 0 || label >= config.numClasses()) {
                throw new IllegalArgumentException(labelled.where(entry) + ": label " + label
                        + " is out of range (" + model + " has " + config.numClasses() + " classes)");
            }
        }
        SparkSession spark = given != null ? given : JobSession.start("repvgg4j score report");
        try {
            Result result = compute(spark, scores, labelled, config.classes());
            String markdown = result.report().toMarkdown();
            PrintWriter stdout = spec.commandLine().getOut();
            stdout.print(markdown);
            stdout.printf(Locale.ROOT, "%d listed images scored, %d unreadable, %d not in %s%n",
                    result.report().count(), result.unreadable(), result.notScored(), scores);
            stdout.flush();
            if (reportFile != null) {
                Files.writeString(reportFile, markdown, StandardCharsets.UTF_8);
            }
            return 0;
        } finally {
            if (given == null) {
                spark.stop();
            }
        }
    }

    /** Joins the list's labels with the scores on the image path and feeds the report. */
    static Result compute(SparkSession spark, String scores, ListFile labelled, List<String> classes) {
        List<Row> rows = new ArrayList<>();
        for (ListEntry entry : labelled.entries()) {
            rows.add(RowFactory.create(entry.path().toAbsolutePath().toString(), entry.label().getAsInt()));
        }
        Dataset<Row> labels = spark.createDataFrame(rows, LABELS);
        Dataset<Row> output = spark.read().parquet(scores);
        Dataset<Row> joined = labels.join(output, labels.col("label_path").equalTo(output.col(ScoreTable.PATH)), "left")
                .select(labels.col("label_path"), labels.col("label"), output.col(ScoreTable.PATH),
                        output.col(ScoreTable.SCORES), output.col(ScoreTable.ERROR));
        ClassificationReport report = new ClassificationReport(classes);
        long unreadable = 0;
        long notScored = 0;
        Iterator<Row> it = joined.toLocalIterator();
        while (it.hasNext()) {
            Row row = it.next();
            if (row.isNullAt(2)) {
                notScored++;
            } else if (!row.isNullAt(4)) {
                unreadable++;
            } else {
                List<Float> values = row.getList(3);
                if (values.size() != classes.size()) {
                    throw new IllegalArgumentException(scores + ": " + row.getString(0) + " has " + values.size()
                            + " scores but the model has " + classes.size() + " classes (another model's output?)");
                }
                float[] s = new float[values.size()];
                for (int c = 0; c < s.length; c++) {
                    s[c] = values.get(c);
                }
                report.add(row.getInt(1), s);
            }
        }
        return new Result(report, unreadable, notScored);
    }
}
