package org.repvgg4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.repvgg4j.cli.CommandsTest.repvgg;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.repvgg4j.export.TorchScriptExporter;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** The same thing has the same option name in every verb; the names used before still work, unseen in --help. */
class OptionNamesTest {

    /** Parses {@code args} as the command line does, without running the verb; returns the verb's object. */
    @SuppressWarnings("unchecked")
    private static <T> T parsed(String... args) {
        CommandLine cli = RepVggCommand.newCommandLine();
        cli.parseArgs(args);
        return (T) cli.getSubcommands().get(args[0]).getCommand();
    }

    private static Map<String, CommandLine> verbs() {
        return RepVggCommand.newCommandLine().getSubcommands();
    }

    @Test
    void formerNamesSetTheSameOptionsAsTheCurrentOnes() {
        PredictCommand predict = parsed("predict", "--model", "m", "--top", "3", "--batch", "7", "a.png");
        assertThat(predict.topK).isEqualTo(3);
        assertThat(predict.batchSize).isEqualTo(7);
        PredictCommand predictEquals = parsed("predict", "--model", "m", "--top=2", "--batch=4", "a.png");
        assertThat(predictEquals.topK).isEqualTo(2);
        assertThat(predictEquals.batchSize).isEqualTo(4);

        BatchCommand batch = parsed("batch", "--model", "m", "--topk", "4", "--lists", "a.txt", "b.txt");
        assertThat(batch.topK).isEqualTo(4);
        assertThat(batch.lists).extracting(Object::toString).containsExactly("a.txt", "b.txt");

        ReportCommand report = parsed("report", "--results", "r", "--labels", "val.txt", "--classes", "c.txt");
        assertThat(report.labels).hasToString("val.txt");

        DemoCommand demo = parsed("demo", "--data", "photos");
        assertThat(demo.data).hasToString("photos");

        DoctorCommand doctor = parsed("doctor", "--batch", "1,3");
        assertThat(doctor.batches).containsExactly(1, 3);
    }

    @Test
    void currentNamesWork() {
        PredictCommand predict = parsed("predict", "--model", "m", "--top-k", "3", "--batch-size", "7", "a.png");
        assertThat(predict.topK).isEqualTo(3);
        assertThat(predict.batchSize).isEqualTo(7);
        BatchCommand batch = parsed("batch", "--model", "m", "--top-k", "4", "--list", "a.txt", "--images", "photos");
        assertThat(batch.topK).isEqualTo(4);
        assertThat(batch.lists).extracting(Object::toString).containsExactly("a.txt");
        assertThat(batch.imageFolders).extracting(Object::toString).containsExactly("photos");
    }

    @Test
    void aFormerNameIsLeftAloneWhereTheVerbHasNoSuchOptionOrAnOwnOneOfThatName() {
        BenchCommand bench = parsed("bench", "--batch", "2,4");
        assertThat(bench.batches).as("bench's --batch-size, by its former name").containsExactly(2, 4);
        // a verb without --top-k rejects --top as an unknown option, with picocli's usage error
        CommandsTest.Run convert = repvgg("convert", "--model", "m", "--out", "o", "--top", "3");
        assertThat(convert.exit()).isEqualTo(2);
        assertThat(convert.err()).contains("Unknown options: '--top'");
        // after "--" an argument is a value, even one spelled like a former name
        PredictCommand predict = parsed("predict", "--model", "m", "--", "--top");
        assertThat(predict.images).extracting(Object::toString).containsExactly("--top");
        assertThat(predict.topK).isEqualTo(5);
    }

    @Test
    void helpShowsTheCurrentNamesOnly() {
        for (Map.Entry<String, CommandLine> verb : verbs().entrySet()) {
            String help = verb.getValue().getUsageMessage(CommandLine.Help.Ansi.OFF);
            CommandSpec spec = verb.getValue().getCommandSpec();
            for (Map.Entry<String, String> alias : OptionAliases.CURRENT.entrySet()) {
                if (spec.findOption(alias.getValue()) == null || spec.findOption(alias.getKey()) != null) {
                    continue;
                }
                assertThat(help).as(verb.getKey()).contains(alias.getValue());
                assertThat(Pattern.compile("(?<![\\w-])" + Pattern.quote(alias.getKey()) + "(?![\\w-])").matcher(help).find())
                        .as(verb.getKey() + " --help names " + alias.getKey()).isFalse();
            }
        }
        assertThat(repvgg("predict", "--help").out()).contains("--top-k=K").contains("--batch-size=N");
        assertThat(repvgg("batch", "--help").out()).contains("--top-k=K").contains("--list=LIST|DIR")
                .contains("--images=DIR").contains("--quiet");
        assertThat(repvgg("report", "--help").out()).contains("--list=LIST");
        assertThat(repvgg("demo", "--help").out()).contains("--input=DIR").contains("--quiet");
    }

    @Test
    void noVerbDeclaresAFormerName() {
        List<String> declared = new java.util.ArrayList<>();
        for (Map.Entry<String, CommandLine> verb : verbs().entrySet()) {
            for (String former : OptionAliases.CURRENT.keySet()) {
                if (verb.getValue().getCommandSpec().findOption(former) != null) {
                    declared.add(verb.getKey() + " " + former);
                }
            }
        }
        assertThat(declared).isEmpty();
    }

    @Test
    void longVerbsTakeQuiet() {
        for (String verb : List.of("train", "batch", "eval", "demo", "split", "doctor", "bench")) {
            assertThat(verbs().get(verb).getCommandSpec().findOption("--quiet")).as(verb).isNotNull();
        }
    }

    @Test
    void badValuesAreUsageErrors() {
        CommandsTest.Run notANumber = repvgg("predict", "--model", "m", "--top", "x", "a.png");
        assertThat(notANumber.exit()).isEqualTo(2);
        assertThat(notANumber.err()).contains("--top-k").contains("'x' is not an int");
        CommandsTest.Run zero = repvgg("predict", "--model", "m", "--top-k", "0", "a.png");
        assertThat(zero.exit()).isEqualTo(2);
        assertThat(zero.err()).contains("--top-k must be at least 1");
        CommandsTest.Run batchSize = repvgg("batch", "--model", "m", "--list", "a.txt", "--batch-size", "0");
        assertThat(batchSize.exit()).isEqualTo(2);
        CommandsTest.Run nothing = repvgg("batch", "--model", "m");
        assertThat(nothing.exit()).isEqualTo(2);
        assertThat(nothing.err()).contains("give --list LIST|DIR or --images DIR");
        CommandsTest.Run evalBatch = repvgg("eval", "--model", "m", "--list", "a.txt", "--batch-size", "-1");
        assertThat(evalBatch.exit()).isEqualTo(2);
    }

    @Test
    void helpTextsAreValidFormatStrings() {
        // picocli formats description lines with String.format; a bare '%' makes it warn on stderr
        // and print the line unformatted
        assertThat(TorchScriptExporter.BF16_TOLERANCE).isEqualTo(TorchScriptExporter.BF16_TOLERANCE_PERCENT / 100.0);
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            for (CommandLine verb : verbs().values()) {
                verb.usage(new PrintWriter(new StringWriter()), CommandLine.Help.Ansi.OFF);
            }
        } finally {
            System.setErr(original);
        }
        List<String> warnings = captured.toString(StandardCharsets.UTF_8).lines()
                .filter(line -> line.contains("picocli WARN"))
                .toList();
        assertThat(warnings).isEmpty();
        assertThat(repvgg("export", "--help").out()).contains("checked within 5% of the output scale");
    }
}
