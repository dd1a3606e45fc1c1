package org.repvgg4j.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.repvgg4j.bench.TrainStepBench;

/**
 * {@code bench --train-step --lockstep}: a step starts when a line arrives on standard input and
 * reports {@code lockstep <step> <ms>} on standard output when it ends. A driver that alternates
 * these steps with its own (tools/compare_training_speed.py) times both programs through the same
 * moments of a shared machine's load, where back-to-back runs met different loads.
 */
final class LineLockstep implements TrainStepBench.Pacer {

    private final BufferedReader in;
    private final PrintWriter out;

    LineLockstep(InputStream in, PrintWriter out) {
        this.in = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        this.out = out;
    }

    @Override
    public void before(int step) throws IOException {
        if (in.readLine() == null) {
            throw new IOException("--lockstep: standard input ended before step " + step);
        }
    }

    @Override
    public void after(int step, double millis) {
        out.printf(Locale.ROOT, "lockstep %d %.2f%n", step, millis);
        out.flush();
    }
}
