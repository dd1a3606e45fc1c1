package org.repvgg4j.data;

import java.util.List;

/** How many images of one class went to each split: a row of the split and annotate summaries. */
public record ClassCounts(String name, int index, int train, int val) {

    public int total() {
        return train + val;
    }

    /** A summary with one row per class, and the images of each split summed over its rows. */
    public interface Summary {

        List<ClassCounts> classes();

        default int trainImages() {
            return classes().stream().mapToInt(ClassCounts::train).sum();
        }

        default int valImages() {
            return classes().stream().mapToInt(ClassCounts::val).sum();
        }
    }
}
