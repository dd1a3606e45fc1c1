package org.repvgg4j.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.repvgg4j.data.DatasetSplitter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "split", mixinStandardHelpOptions = true,
        description = {"Split a folder of class folders into train/ and val/, and write the class file and lists.",
            "",
            "Splits <input>/<class>/<images> into <out>/train/<class>/ and <out>/val/<class>/, per class "
                    + "and the same way every time for a seed, and writes <out>/annotations.txt (classes in "
                    + "sorted order), <out>/train.txt and <out>/val.txt.",
            "Images are recognised by extension (jpg, jpeg, png, bmp, gif, webp; any case) or by content; "
                    + "hidden files are skipped; empty classes and unreadable files are reported.",
            "<out> must be new or empty: split never deletes or overwrites a file.",
            ""})
final class SplitCommand extends Subcommand implements Callable<Integer> {

    @Option(names = "--input", required = true, description = "folder with one sub-folder of images per class")
    Path input;

    @Option(names = "--out", required = true, description = "new or empty folder for the split")
    Path out;

    @Option(names = "--val-ratio", defaultValue = "0.2",
            description = "fraction of each class for validation, rounded; at least 1 image when a class has 2 or more (default: ${DEFAULT-VALUE})")
    double valRatio;

    @Option(names = "--seed", defaultValue = "0", description = "which random split (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--quiet", description = "no class table: the summary line and warnings only")
    boolean quiet;

    @Option(names = "--link",
            description = "hard-link the images instead of copying them (no extra space; symbolic links, then copies, where that fails)")
    boolean link;

    @Override
    public Integer call() throws Exception {
        if (!(valRatio > 0 && valRatio < 1)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--val-ratio must be between 0 and 1 (exclusive), got " + valRatio);
        }
        DatasetSplitter.Report report = DatasetSplitter.split(input, out, valRatio, seed, link);
        out().printf(Locale.ROOT, "split %s -> %s (val ratio %s, seed %d): %d class%s%n",
                input, out, valRatio, seed, report.classes().size(), report.classes().size() == 1 ? "" : "es");
        if (!quiet) {
            ClassTable.print(out(), report.classes());
        }
        DatasetSplitter.Placement p = report.placement();
        out().printf("wrote %s, train.txt (%d images), val.txt (%d images); %s%n", out.resolve("annotations.txt"),
                report.trainImages(), report.valImages(), placed(p));
        // After the table, so they are the last thing on the screen.
        for (String warning : report.warnings()) {
            err().println("split: warning: " + warning);
        }
        return 0;
    }

    private static String placed(DatasetSplitter.Placement p) {
        StringBuilder s = new StringBuilder();
        append(s, p.hardLinks(), "hard-linked");
        append(s, p.symbolicLinks(), "symbolically linked");
        append(s, p.copies(), "copied");
        return s.toString();
    }

    private static void append(StringBuilder s, int count, String how) {
        if (count > 0) {
            s.append(s.length() == 0 ? "" : ", ").append(count).append(count == 1 ? " image " : " images ").append(how);
        }
    }
}
