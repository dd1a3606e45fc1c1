package org.repvgg4j.data;

import java.nio.file.Path;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * One line of a list file: the image (resolved against the list file's folder), its label index when
 * the list is labelled, and the 1-based line it came from (0 for an entry not read from a file).
 */
public record ListEntry(Path path, OptionalInt label, int line) {

    public ListEntry {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(label, "label");
    }

    /** A labelled entry to be written (not read from a file). */
    public static ListEntry of(Path path, int label) {
        return new ListEntry(path, OptionalInt.of(label), 0);
    }

    /** An unlabelled entry to be written, as batch inference takes them. */
    public static ListEntry unlabelled(Path path) {
        return new ListEntry(path, OptionalInt.empty(), 0);
    }

    public boolean isLabelled() {
        return label.isPresent();
    }
}
