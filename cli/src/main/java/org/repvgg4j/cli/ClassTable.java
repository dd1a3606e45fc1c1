package org.repvgg4j.cli;

import java.io.PrintWriter;
import java.util.List;
import org.repvgg4j.data.ClassCounts;

/** The per-class summary that split and annotate print: class, index, train and val images, totals. */
final class ClassTable {

    private ClassTable() {}

    static void print(PrintWriter out, List<ClassCounts> classes) {
        int width = Math.max("total".length(), classes.stream().mapToInt(c -> c.name().length()).max().orElse(0));
        String row = "%-" + width + "s %5s %7s %7s %7s%n";
        out.printf(row, "class", "index", "train", "val", "total");
        int train = 0;
        int val = 0;
        for (ClassCounts c : classes) {
            out.printf(row, c.name(), c.index(), c.train(), c.val(), c.total());
            train += c.train();
            val += c.val();
        }
        out.printf(row, "total", "", train, val, train + val);
    }
}
