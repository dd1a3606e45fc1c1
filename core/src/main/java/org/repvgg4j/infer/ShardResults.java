package org.repvgg4j.infer;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import org.repvgg4j.data.ListEntry;
import org.repvgg4j.eval.Csv;
import org.repvgg4j.io.Npy;

/**
 * The result files of one shard: {@code <name>.npy}, float32 [rows, classes] scores (NaN for an image
 * that could not be read), and {@code <name>.csv}, one row per list entry in list order: path, the
 * top-k classes with their scores, and the error if there was one.
 *
 * <p>While the shard is being scored its rows go to {@code <name>.part.csv} and its scores to
 * {@code <name>.part.npy}, which has its final shape from the start; each score row is written at its
 * place before the CSV row that announces it. Only a finished shard has a {@code <name>.npy} (so that
 * whatever reads it, numpy included, sees every row), and it is finished when {@code <name>.csv}
 * exists. After an interruption the complete lines of the part file say how far the work got: the
 * rest is truncated and scoring continues from there, so no row is lost or written twice.
 */
final class ShardResults implements AutoCloseable {

    static final String CSV = ".csv";
    static final String NPY = ".npy";
    static final String PART = ".part.csv";
    static final String PART_NPY = ".part.npy";

    private final Path csv;
    private final Path part;
    private final List<ListEntry> entries;
    private final int classes;
    private final int topK;
    private final List<String> classNames;
    private final Path npy;
    private final Path partNpy;
    private final long dataStart;
    // Opened at the first row and closed at the last, so that only shards being written hold files.
    private FileChannel scores;
    private BufferedWriter rows;
    private int done;

    private ShardResults(String name, Path dir, List<ListEntry> entries, List<String> classNames, int topK,
            long dataStart, int done) {
        this.csv = dir.resolve(name + CSV);
        this.part = dir.resolve(name + PART);
        this.entries = entries;
        this.classes = classNames.size();
        this.classNames = classNames;
        this.topK = topK;
        this.npy = dir.resolve(name + NPY);
        this.partNpy = dir.resolve(name + PART_NPY);
        this.dataStart = dataStart;
        this.done = done;
    }

    static boolean finished(Path dir, String name) {
        return Files.isRegularFile(dir.resolve(name + CSV)) && Files.isRegularFile(dir.resolve(name + NPY));
    }

    static String header(int topK) {
        StringBuilder h = new StringBuilder("path");
        for (int k = 1; k <= topK; k++) {
            h.append(",class").append(k).append(",score").append(k);
        }
        return h.append(",error").toString();
    }

    /**
     * Prepares the shard's files, continuing after the last complete row of an earlier run; the files
     * are opened when the first row is written.
     */
    static ShardResults open(Path dir, String name, List<ListEntry> entries, List<String> classNames, int topK)
            throws IOException {
        Path npy = dir.resolve(name + NPY);
        Path partNpy = dir.resolve(name + PART_NPY);
        Path part = dir.resolve(name + PART);
        if (Files.isRegularFile(part) && !Files.exists(partNpy) && Files.isRegularFile(npy)) {
            // Killed between putting the scores and the rows in place (or written before in-progress
            // scores had a name of their own): the scores are the part file's partner.
            Files.move(npy, partNpy, StandardCopyOption.ATOMIC_MOVE);
        }
        byte[] header = Npy.header(Npy.DType.FLOAT32, new long[] {entries.size(), classNames.size()});
        String csvHeader = header(topK);
        int done = 0;
        if (Files.isRegularFile(part) && Files.isRegularFile(partNpy) && sameHeader(partNpy, header)) {
            done = completeRows(part, csvHeader, entries);
        } else {
            // Nothing usable from before: start the shard afresh.
            try {
                Files.writeString(part, csvHeader + "\n", StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw named(part, e);
            }
            try (FileChannel c = FileChannel.open(partNpy, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                c.write(ByteBuffer.wrap(header));
            } catch (IOException e) {
                throw named(partNpy, e);
            }
        }
        return new ShardResults(name, dir, entries, classNames, topK, header.length, done);
    }

    private static boolean sameHeader(Path npy, byte[] header) throws IOException {
        if (Files.size(npy) < header.length) {
            return false;
        }
        byte[] present = new byte[header.length];
        try (var in = Files.newInputStream(npy)) {
            if (in.readNBytes(present, 0, present.length) != present.length) {
                return false;
            }
        }
        return java.util.Arrays.equals(present, header);
    }

    /**
     * Counts the complete rows of a part file, cuts off a half-written last line, and checks that the
     * rows belong to this list (the last one names the entry at its position).
     */
    private static int completeRows(Path part, String csvHeader, List<ListEntry> entries) throws IOException {
        byte[] bytes = Files.readAllBytes(part);
        int lastNewline = -1;
        int lines = 0;
        int previousNewline = -1;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                previousNewline = lastNewline;
                lastNewline = i;
                lines++;
            }
        }
        if (lines == 0 || !new String(bytes, 0, Math.min(bytes.length, csvHeader.length()), StandardCharsets.UTF_8)
                .equals(csvHeader)) {
            Files.writeString(part, csvHeader + "\n", StandardCharsets.UTF_8);
            return 0;
        }
        int rows = lines - 1;
        if (rows > entries.size()) {
            throw new IOException(part + ": " + rows + " rows, but the list has only " + entries.size()
                    + " entries; the list changed since this run started (delete " + part.getFileName()
                    + " to score the shard again)");
        }
        if (rows > 0) {
            String last = new String(bytes, previousNewline + 1, lastNewline - previousNewline - 1, StandardCharsets.UTF_8);
            String path = Csv.split(last).get(0);
            String expected = pathText(entries.get(rows - 1));
            if (!path.equals(expected)) {
                throw new IOException(part + ": row " + rows + " is " + path + " but list line "
                        + entries.get(rows - 1).line() + " is " + expected + "; the list changed since this run "
                        + "started (delete " + part.getFileName() + " to score the shard again)");
            }
        }
        try (FileChannel c = FileChannel.open(part, StandardOpenOption.WRITE)) {
            c.truncate(lastNewline + 1);
        }
        return rows;
    }

    /** The path as rows name it: absolute and normalised, so reports can match it whatever the working folder. */
    static String pathText(ListEntry entry) {
        return entry.path().toAbsolutePath().normalize().toString();
    }

    int size() {
        return entries.size();
    }

    /** Rows already written (by this run or an earlier one). */
    int done() {
        return done;
    }

    ListEntry entry(int row) {
        return entries.get(row);
    }

    /**
     * Writes the next row: {@code probabilities} for a scored image, or {@code error} (and NaN scores)
     * for one that could not be read. The score row goes to its place in the .npy first, the CSV row after.
     */
    void append(float[] probabilities, String error) throws IOException {
        if (scores == null) {
            scores = FileChannel.open(partNpy, StandardOpenOption.WRITE);
            rows = Files.newBufferedWriter(part, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        }
        ListEntry entry = entries.get(done);
        ByteBuffer row = ByteBuffer.allocate(classes * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int c = 0; c < classes; c++) {
            row.putFloat(probabilities == null ? Float.NaN : probabilities[c]);
        }
        row.flip();
        long at = dataStart + (long) done * classes * Float.BYTES;
        try {
            while (row.hasRemaining()) {
                at += scores.write(row, at);
            }
        } catch (IOException e) {
            throw named(partNpy, e);
        }
        StringBuilder line = new StringBuilder(Csv.field(pathText(entry)));
        if (probabilities == null) {
            line.append(",".repeat(2 * topK)).append(',').append(Csv.field(oneLine(error)));
        } else {
            for (int c : Scores.topK(probabilities, topK)) {
                line.append(',').append(Csv.field(classNames.get(c)))
                        .append(String.format(Locale.ROOT, ",%.6f", probabilities[c]));
            }
            line.append(',');
        }
        try {
            rows.write(line.append('\n').toString());
        } catch (IOException e) {
            throw named(part, e);
        }
        done++;
    }

    private static String oneLine(String text) {
        return text.replace('\r', ' ').replace('\n', ' ');
    }

    /** Hands the written rows to the operating system, so a killed process keeps them. */
    void flush() throws IOException {
        if (rows != null) {
            try {
                rows.flush();
            } catch (IOException e) {
                throw named(part, e);
            }
        }
    }

    /**
     * The error with the file it concerns in front: the operating system's "No space left on device"
     * does not say which disk a user has to clear.
     */
    private static IOException named(Path file, IOException e) {
        if (e.getMessage() != null && e.getMessage().startsWith(file.toString())) {
            return e;
        }
        return new IOException(file + ": " + e.getMessage(), e);
    }

    boolean complete() {
        return done == entries.size();
    }

    /** Closes the files and, when every row is written, marks the shard finished. Safe to call twice. */
    @Override
    public void close() throws IOException {
        try {
            if (rows != null) {
                rows.close();
            }
        } finally {
            if (scores != null) {
                scores.close();
            }
            rows = null;
            scores = null;
        }
        if (complete() && Files.exists(part)) {
            // The scores first: the CSV's arrival is what marks the shard finished.
            if (Files.exists(partNpy)) {
                Files.move(partNpy, npy, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(part, csv, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }
}
