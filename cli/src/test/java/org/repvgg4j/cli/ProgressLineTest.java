package org.repvgg4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ProgressLineTest {

    private static String run(ProgressLine.Style style, int total) {
        StringWriter text = new StringWriter();
        ProgressLine bar = new ProgressLine(new PrintWriter(text), style);
        for (int done = 1; done <= total; done++) {
            bar.update("batch", done, total, "9.0 img/s", 9, total - done);
        }
        bar.finish();
        return text.toString();
    }

    @Test
    void onATerminalTheLineIsRedrawnInPlaceAndClearedAtTheEnd() {
        String text = run(ProgressLine.Style.REDRAW, 5000);
        assertThat(text).startsWith("\rbatch [").contains("5000/5000").doesNotContain("\n").endsWith("\r");
    }

    @Test
    void inAFileEachTenthIsOnePlainLine() {
        String text = run(ProgressLine.Style.LINES, 5000);
        assertThat(text).doesNotContain("\r");
        assertThat(text.lines()).hasSize(10);
        assertThat(text.lines().findFirst().orElseThrow()).isEqualTo("batch 500/5000 (10%) 9.0 img/s ETA 8:20");
        assertThat(text.lines().reduce((a, b) -> b).orElseThrow()).startsWith("batch 5000/5000 (100%)");
        // fewer steps than tenths: a line per step
        assertThat(run(ProgressLine.Style.LINES, 3).lines()).hasSize(3);
    }

    @Test
    void quietWritesNothing() {
        assertThat(run(ProgressLine.Style.OFF, 5000)).isEmpty();
        assertThat(ProgressLine.Style.of(true)).isEqualTo(ProgressLine.Style.OFF);
    }

    @Test
    void thePropertyOverridesTheTerminalCheck() {
        String before = System.getProperty(ProgressLine.PROPERTY);
        try {
            System.setProperty(ProgressLine.PROPERTY, "redraw");
            assertThat(ProgressLine.Style.of(false)).isEqualTo(ProgressLine.Style.REDRAW);
            System.setProperty(ProgressLine.PROPERTY, "lines");
            assertThat(ProgressLine.Style.of(false)).isEqualTo(ProgressLine.Style.LINES);
        } finally {
            if (before == null) {
                System.clearProperty(ProgressLine.PROPERTY);
            } else {
                System.setProperty(ProgressLine.PROPERTY, before);
            }
        }
        // surefire's JVM writes to pipes: no console, so plain lines
        if (before == null && System.console() == null) {
            assertThat(ProgressLine.Style.of(false)).isEqualTo(ProgressLine.Style.LINES);
        }
    }
}
