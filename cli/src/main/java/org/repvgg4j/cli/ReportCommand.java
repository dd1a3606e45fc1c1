package org.repvgg4j.cli;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.repvgg4j.data.ClassIndex;
import org.repvgg4j.data.ListEntry;
import org.repvgg4j.data.ListFile;
import org.repvgg4j.eval.ClassificationReport;
import org.repvgg4j.infer.BatchResults;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"The per-class report of saved batch results against a labelled list: the same numbers",
            "and files 'eval' gives on the same images, without running the network again. Rows are matched",
            "to labels by image path; error rows are counted as skipped, as eval skips unreadable images."})
final class ReportCommand extends Subcommand implements Callable<Integer> {

    @Option(names = "--results", required = true, paramLabel = "DIR", description = "a 'repvgg batch' results folder")
    Path results;

    @Option(names = "--list", required = true, paramLabel = "LIST", description = "labelled list (<image path> <label>)")
    Path labels;

    @Option(names = "--classes", required = true, paramLabel = "FILE", description = "class file (annotations.txt)")
    Path classes;

    @Option(names = "--out", paramLabel = "DIR", description = "folder for the report files")
    Path out;

    @Option(names = "--json", description = "print the summary as one JSON object")
    boolean json;

    @Override
    public Integer call() throws Exception {
        ClassIndex index = ClassIndex.read(classes);
        BatchResults saved = BatchResults.open(results);
        if (!saved.classes().equals(index.names())) {
            throw new IllegalArgumentException(classes + " names " + index.names() + ", but the results in " + results
                    + " were scored for " + saved.classes());
        }
        ListFile list = ListFile.read(labels);
        list.check(index, classes);
        Map<String, Integer> labelOf = new HashMap<>();
        for (ListEntry e : list.entries()) {
            labelOf.put(e.path().toAbsolutePath().normalize().toString(), e.label().getAsInt());
        }
        ClassificationReport report = new ClassificationReport(index.names());
        ReportFiles files = new ReportFiles(report);
        int[] skipped = {0};
        int[] unlabelled = {0};
        int[] scored = {0};
        Map<String, Boolean> seen = new HashMap<>();
        saved.forEachRow(row -> {
            Integer label = labelOf.get(row.path());
            if (label == null) {
                unlabelled[0]++;
                return;
            }
            seen.put(row.path(), true);
            if (row.scores() == null) {
                skipped[0]++;
            } else {
                files.add(row.path(), label, row.scores());
                scored[0]++;
            }
        });
        if (scored[0] == 0) {
            // No scored row matched a label: every number would be 0/0.
            throw new IllegalArgumentException("no scored row of " + results + " matches an image of " + labels
                    + " (" + unlabelled[0] + " result row(s) with other paths, " + skipped[0] + " error row(s)); "
                    + "report the list that batch scored, with the same image paths");
        }
        if (out != null) {
            files.write(out, results + " against " + labels);
        }
        if (json) {
            out().println(ReportFiles.toJson(report, skipped[0]));
        } else {
            out().print(report.toMarkdown());
            if (out != null) {
                out().println("\nwrote " + out + "/" + ReportFiles.LISTING);
            }
        }
        long missing = labelOf.keySet().stream().filter(p -> !seen.containsKey(p)).count();
        List<String> notes = new java.util.ArrayList<>();
        if (skipped[0] > 0) {
            notes.add(skipped[0] + " error row(s) skipped");
        }
        if (unlabelled[0] > 0) {
            notes.add(unlabelled[0] + " result row(s) not in " + labels);
        }
        if (missing > 0) {
            notes.add(missing + " labelled image(s) with no result row");
        }
        if (!saved.unfinished().isEmpty()) {
            notes.add("unfinished shard(s) left out: " + String.join(", ", saved.unfinished()));
        }
        if (!notes.isEmpty()) {
            err().println("report: " + String.join("; ", notes));
        }
        return 0;
    }
}
