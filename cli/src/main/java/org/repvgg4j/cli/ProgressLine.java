package org.repvgg4j.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Progress of a long loop on standard error. On a terminal, one line redrawn in place ({@code \r}) at
 * most a few times a second: {@code epoch 3/15 [#####-----] 20/50 loss 1.234 210.5 img/s ETA 0:05}.
 * In a file or a pipe, where every redraw would stay as a line of its own, a plain line at each tenth
 * of the way instead; with --quiet, nothing.
 */
final class ProgressLine {

    /** How progress is shown. */
    enum Style {
        /** Redrawn in place: for a terminal. */
        REDRAW,
        /** A plain line now and then: for a log file or a pipe. */
        LINES,
        /** Nothing: --quiet. */
        OFF;

        /**
         * OFF for --quiet; else as the system property {@value #PROPERTY} says (redraw, lines or off), for
         * terminals the JVM does not recognise and for tests; else REDRAW where the JVM has a console
         * (standard input and output are a terminal), LINES otherwise.
         */
        static Style of(boolean quiet) {
            if (quiet) {
                return OFF;
            }
            String forced = System.getProperty(PROPERTY);
            if (forced != null && !forced.isBlank()) {
                try {
                    return valueOf(forced.strip().toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("-D" + PROPERTY + "=" + forced + ": use redraw, lines or off");
                }
            }
            return System.console() != null ? REDRAW : LINES;
        }
    }

    static final String PROPERTY = "repvgg.progress";

    /** Plain lines are written at each further tenth of the total. */
    static final int LINES_PER_LOOP = 10;

    private static final long MIN_INTERVAL_NANOS = 250_000_000L;

    private final PrintWriter out;
    private final Style style;
    private long lastDraw;
    private int lastWidth;
    private long lastStep = -1;

    ProgressLine(PrintWriter out, Style style) {
        this.out = out;
        this.style = style;
    }

    /** Progress for a verb's --quiet flag, on a terminal or not. */
    static ProgressLine of(PrintWriter out, boolean quiet) {
        return new ProgressLine(out, Style.of(quiet));
    }

    Style style() {
        return style;
    }

    void update(String prefix, int done, int total, String suffix, double perSecond, double unitsLeft) {
        String eta = perSecond > 0 ? clock(unitsLeft / perSecond) : "?";
        switch (style) {
            case REDRAW -> redraw(prefix, done, total, suffix, eta);
            case LINES -> {
                long step = total <= 0 ? LINES_PER_LOOP : (long) LINES_PER_LOOP * done / total;
                if (step > lastStep && (step > 0 || done == total)) {
                    lastStep = step;
                    out.println(String.format(Locale.ROOT, "%s %d/%d (%d%%) %s ETA %s", prefix, done, total,
                            total <= 0 ? 100 : 100L * done / total, suffix, eta));
                    out.flush();
                }
            }
            case OFF -> { }
        }
    }

    private void redraw(String prefix, int done, int total, String suffix, String eta) {
        long now = System.nanoTime();
        if (done < total && now - lastDraw < MIN_INTERVAL_NANOS) {
            return;
        }
        lastDraw = now;
        int width = 24;
        int filled = total == 0 ? width : (int) ((long) width * done / total);
        String line = String.format(Locale.ROOT, "%s [%s%s] %d/%d %s ETA %s", prefix, "#".repeat(filled),
                "-".repeat(width - filled), done, total, suffix, eta);
        out.print("\r" + line + " ".repeat(Math.max(0, lastWidth - line.length())));
        out.flush();
        lastWidth = line.length();
    }

    /** Ends the loop: a redrawn line is cleared so the next output starts on a fresh one. */
    void finish() {
        if (lastWidth > 0) {
            out.print("\r" + " ".repeat(lastWidth) + "\r");
            out.flush();
            lastWidth = 0;
        }
        lastStep = -1;
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format("%d:%02d", s / 60, s % 60);
    }
}
