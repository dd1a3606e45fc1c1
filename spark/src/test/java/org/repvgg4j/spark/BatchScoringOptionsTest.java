package org.repvgg4j.spark;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The Spark job spells its options as the repvgg commands do; the former --top still works. */
class BatchScoringOptionsTest {

    private static BatchScoring parsed(String... args) {
        BatchScoring job = new BatchScoring();
        new CommandLine(job).parseArgs(args);
        return job;
    }

    @Test
    void topKByItsNameAndItsFormerOne() {
        assertThat(parsed("--model", "m", "--out", "o").topK).isEqualTo(5);
        assertThat(parsed("--model", "m", "--out", "o", "--top-k", "3").topK).isEqualTo(3);
        assertThat(parsed("--model", "m", "--out", "o", "--top", "2").topK).isEqualTo(2);
    }

    @Test
    void helpNamesOnlyTopK() {
        String help = new CommandLine(new BatchScoring()).getUsageMessage(CommandLine.Help.Ansi.OFF);
        assertThat(help).contains("--top-k=K").contains("(default: 5)").doesNotContainPattern("--top(?![\\w-])");
    }

    @Test
    void aBadValueIsAUsageError() {
        CommandLine cli = new CommandLine(new BatchScoring());
        cli.setErr(new PrintWriter(new StringWriter()));
        assertThat(cli.execute("--model", "m", "--out", "o", "--top", "x")).isEqualTo(2);
    }
}
