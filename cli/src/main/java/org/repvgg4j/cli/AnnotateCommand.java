package org.repvgg4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.repvgg4j.data.Annotator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "annotate", mixinStandardHelpOptions = true,
        description = {"Write the class file and lists for a data set that is already split.",
            "",
            "Writes <dataset>/annotations.txt, train.txt and val.txt for <dataset>/train/<class>/ and "
                    + "<dataset>/val/<class>/. An existing annotations.txt keeps its index order: classes it "
                    + "lacks are appended, classes without images are kept.",
            ""})
final class AnnotateCommand extends Subcommand implements Callable<Integer> {

    @Option(names = "--dataset", required = true, description = "folder holding train/<class>/ and val/<class>/")
    Path dataset;

    @Override
    public Integer call() throws Exception {
        Annotator.Report report = Annotator.annotate(dataset);
        out().printf("annotate %s: %d class%s%n", dataset, report.classes().size(), report.classes().size() == 1 ? "" : "es");
        ClassTable.print(out(), report.classes());
        Path classFile = dataset.resolve("annotations.txt");
        int appended = report.appended().size();
        String classes = !report.classFileExisted() ? "wrote " + classFile
                : appended == 0 ? "kept " + classFile + " unchanged"
                : "appended " + appended + (appended == 1 ? " class" : " classes") + " to " + classFile;
        out().printf("%s; wrote train.txt (%d images)%s%n", classes, report.trainImages(),
                report.hasVal() ? ", val.txt (" + report.valImages() + " images)" : "");
        // After the table, so they are the last thing on the screen.
        for (String warning : report.warnings()) {
            err().println("annotate: warning: " + warning);
        }
        return 0;
    }
}
