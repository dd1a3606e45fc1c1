package org.repvgg4j.data;

/** How many images of one class went to each split: a row of the split and annotate summaries. */
public record ClassCounts(String name, int index, int train, int val) {

    public int total() {
        return train + val;
    }
}
