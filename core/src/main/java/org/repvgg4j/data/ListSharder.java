package org.repvgg4j.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits one list file into N list files of equal size (the first {@code total mod N} get one more
 * entry), keeping the order, as the write-up does by hand before a large batch run.
 */
public final class ListSharder {

    private ListSharder() {}

    /** Writes {@code <out>/<name>_<k>.txt} for k = 0..N-1 and returns them in order. */
    public static List<ListFile> shard(Path list, int shards, Path out) throws IOException {
        if (shards < 1) {
            throw new IllegalArgumentException("--shards must be at least 1, got " + shards);
        }
        ListFile source = ListFile.read(list);
        int total = source.entries().size();
        if (total < shards) {
            throw new IllegalArgumentException(list + " has " + total + " entries, fewer than " + shards + " shards");
        }
        Files.createDirectories(out);
        String name = list.getFileName().toString().replaceFirst("\\.txt$", "");
        int digits = String.valueOf(shards - 1).length();
        List<ListFile> written = new ArrayList<>();
        int start = 0;
        for (int k = 0; k < shards; k++) {
            int size = total / shards + (k < total % shards ? 1 : 0);
            Path file = out.resolve(String.format("%s_%0" + digits + "d.txt", name, k));
            if (Files.exists(file)) {
                throw new IOException(file + " already exists; choose an empty --out");
            }
            ListFile shard = new ListFile(file, source.entries().subList(start, start + size));
            shard.write();
            written.add(shard);
            start += size;
        }
        return written;
    }
}
