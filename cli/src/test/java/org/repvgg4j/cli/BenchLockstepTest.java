package org.repvgg4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.repvgg4j.cli.CommandsTest.repvgg;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repvgg4j.cli.CommandsTest.Run;

/** {@code repvgg bench --train-step --lockstep}: the steps another program takes turns with; and {@code --trace}. */
class BenchLockstepTest {

    private static final String TINY = "depths=1,2,1,1;widths=0.25,0.25,0.25,0.25";

    private static Run withInput(String input, String... args) {
        InputStream before = System.in;
        System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
        try {
            return repvgg(args);
        } finally {
            System.setIn(before);
        }
    }

    private static String[] trainSteps(String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("bench", "--train-step", "--arch", TINY, "--classes", "3",
                "--batch", "2", "--image-size", "32", "--warmup", "1", "--iterations", "2", "--gemm-size", "0", "--json"));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    @Test
    void eachStepWaitsForALineAndReportsItsTimeAsTheMeasurementDoes() {
        Run run = withInput("go\ngo\ngo\n", trainSteps("--lockstep"));

        assertThat(run.exit()).as(run.err()).isZero();
        List<String> lines = run.out().lines().toList();
        assertThat(lines).hasSize(4);
        for (int i = 0; i < 3; i++) {
            assertThat(lines.get(i)).matches("lockstep " + i + " \\d+\\.\\d\\d");
        }
        JsonObject m = JsonParser.parseString(lines.get(3)).getAsJsonObject();
        JsonArray runMs = m.getAsJsonArray("run_ms");
        assertThat(runMs).hasSize(2); // the warm-up step is reported but not timed
        for (int i = 0; i < 2; i++) {
            double reported = Double.parseDouble(lines.get(i + 1).split(" ")[2]);
            assertThat(runMs.get(i).getAsDouble()).isCloseTo(reported, within(0.006));
        }
    }

    @Test
    void theOneDnnGraphsStepsTakeTurnsTooAndSayWhichEngineRanThem() {
        Run run = withInput("go\ngo\ngo\n", trainSteps("--lockstep", "--engine", "onednn"));

        assertThat(run.exit()).as(run.err()).isZero();
        List<String> lines = run.out().lines().toList();
        assertThat(lines).hasSize(4);
        JsonObject m = JsonParser.parseString(lines.get(3)).getAsJsonObject();
        assertThat(m.get("engine").getAsString()).isEqualTo("onednn-graph");
        assertThat(m.get("form").getAsString()).isEqualTo("train-step");
        assertThat(m.getAsJsonArray("run_ms")).hasSize(2);

        Run traced = repvgg(trainSteps("--engine", "onednn", "--trace", "x.json"));
        assertThat(traced.exit()).isNotZero();
        assertThat(traced.err()).contains("--train-step --engine onednn times the oneDNN training graph");
    }

    @Test
    void inputEndingBeforeTheLastStepIsAnError() {
        Run run = withInput("go\n", trainSteps("--lockstep"));

        assertThat(run.exit()).isNotZero();
        assertThat(run.out()).startsWith("lockstep 0 ");
        assertThat(run.err()).contains("--lockstep: standard input ended before step 1");
    }

    /** The operator calls named {@code name} in a Chrome trace that {@code --trace} wrote. */
    private static long calls(Path trace, String name) throws java.io.IOException {
        JsonArray events = JsonParser.parseString(Files.readString(trace)).getAsJsonArray();
        long n = 0;
        for (var e : events) {
            if (e.isJsonObject() && name.equals(e.getAsJsonObject().get("name").getAsString())) {
                n++;
            }
        }
        return n;
    }

    @Test
    void traceRecordsTheOperatorsOfTheTimedStepsOnly(@TempDir Path tmp) throws Exception {
        Path one = tmp.resolve("one.json");
        Path two = tmp.resolve("two.json");
        List<String> args = new java.util.ArrayList<>(List.of(trainSteps("--trace", one.toString())));
        args.set(args.indexOf("--iterations") + 1, "1");
        Run first = repvgg(args.toArray(String[]::new));
        Run second = repvgg(trainSteps("--trace", two.toString()));

        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(second.exit()).as(second.err()).isZero();
        long perStep = calls(one, "aten::convolution_backward");
        assertThat(perStep).isGreaterThan(0);
        // One warm-up step in both runs: a trace that also held it would not double.
        assertThat(calls(two, "aten::convolution_backward")).isEqualTo(2 * perStep);
    }

    @Test
    void traceRecordsTrainingStepsOnly(@TempDir Path tmp) {
        Run run = repvgg("bench", "--arch", TINY, "--form", "deploy", "--trace", tmp.resolve("t.json").toString(),
                "--gemm-size", "0");

        assertThat(run.exit()).isNotZero();
        assertThat(run.err()).contains("--trace records --train-step runs only");
    }

    @Test
    void lockstepPacesTrainingStepsOnly() {
        Run run = repvgg("bench", "--arch", TINY, "--form", "deploy", "--lockstep", "--gemm-size", "0");

        assertThat(run.exit()).isNotZero();
        assertThat(run.err()).contains("--lockstep paces --train-step runs only");
    }
}
