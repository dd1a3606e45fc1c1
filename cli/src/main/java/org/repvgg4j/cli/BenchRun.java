package org.repvgg4j.cli;

import java.io.PrintWriter;
import java.util.List;

/**
 * What every timing of one {@code repvgg bench} run shares: the batch sizes, the input size, the
 * untimed and timed runs, and where its lines go (with --json standard output carries one object per
 * line, so progress lines are left out).
 */
record BenchRun(List<Integer> batches, int imageSize, int warmup, int iterations, boolean json, boolean quiet,
        PrintWriter out, PrintWriter err) {

    /** A progress line on standard error, unless --json or --quiet. */
    void progress(String format, Object... args) {
        if (!json && !quiet) {
            err.printf(format, args);
        }
    }
}
