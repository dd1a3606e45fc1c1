package org.repvgg4j.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress bar redrawn in place ({@code \r}) at most a few times a second:
 * {@code epoch 3/15 [#####-----] 20/50 loss 1.234 210.5 img/s ETA 0:05}.
 */
final class ProgressLine {

    private static final long MIN_INTERVAL_NANOS = 250_000_000L;

    private final PrintWriter out;
    private long lastDraw;
    private int lastWidth;

    ProgressLine(PrintWriter out) {
        this.out = out;
    }

    void update(String prefix, int done, int total, String suffix, double perSecond, double unitsLeft) {
        long now = System.nanoTime();
        if (done < total && now - lastDraw < MIN_INTERVAL_NANOS) {
            return;
        }
        lastDraw = now;
        int width = 24;
        int filled = total == 0 ? width : (int) ((long) width * done / total);
        String eta = perSecond > 0 ? clock(unitsLeft / perSecond) : "?";
        String line = String.format(Locale.ROOT, "%s [%s%s] %d/%d %s ETA %s", prefix, "#".repeat(filled),
                "-".repeat(width - filled), done, total, suffix, eta);
        out.print("\r" + line + " ".repeat(Math.max(0, lastWidth - line.length())));
        out.flush();
        lastWidth = line.length();
    }

    /** Ends the bar's line so the next output starts on a fresh one. */
    void finish() {
        if (lastWidth > 0) {
            out.print("\r" + " ".repeat(lastWidth) + "\r");
            out.flush();
            lastWidth = 0;
        }
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format("%d:%02d", s / 60, s % 60);
    }
}
