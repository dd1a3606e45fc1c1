package org.repvgg4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.repvgg4j.cli.CommandsTest.repvgg;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalCommandTest {

    /** Stripe images split into {@code tmp/split}, and a fresh tiny model for their classes in {@code tmp/model}. */
    private static Path splitStripes(Path tmp, int perClass) throws Exception {
        Path images = StripeImages.write(tmp.resolve("stripes"), perClass, 3);
        Path data = tmp.resolve("split");
        assertThat(repvgg("split", "--input", images.toString(), "--out", data.toString()).exit()).isZero();
        assertThat(repvgg("init", "--arch", "depths=1,1,1,1;widths=0.125,0.125,0.125,0.25", "--classes",
                data.resolve("annotations.txt").toString(), "--image-size", "16", "--out", tmp.resolve("model").toString())
                .exit()).isZero();
        return data;
    }

    @Test
    void evalWritesEveryReportAndAgreesWithItself(@TempDir Path tmp) throws Exception {
        Path data = splitStripes(tmp, 15);
        Path model = tmp.resolve("model");

        Path out = tmp.resolve("report");
        CommandsTest.Run run = repvgg("eval", "--model", model.toString(), "--list", data.resolve("val.txt").toString(),
                "--out", out.toString(), "--json");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonObject summary = JsonParser.parseString(run.out().strip()).getAsJsonObject();
        assertThat(summary.get("images").getAsInt()).isEqualTo(6);
        assertThat(summary.getAsJsonArray("per_class")).hasSize(2);
        double top1 = summary.get("top1").getAsDouble();

        for (String f : List.of("report.md", "per_class.csv", "confusion.csv", "confusion.png", "predictions.csv",
                "misclassified.txt")) {
            assertThat(out.resolve(f)).as(f).exists();
        }
        List<String> predictions = Files.readAllLines(out.resolve("predictions.csv"));
        assertThat(predictions.get(0)).isEqualTo("path,true,predicted,score_horizontal,score_vertical");
        assertThat(predictions).hasSize(7);
        long correct = predictions.stream().skip(1).map(l -> l.split(",")).filter(f -> f[1].equals(f[2])).count();
        assertThat(correct / 6.0).isEqualTo(top1);
        assertThat(Files.readAllLines(out.resolve("misclassified.txt"))).hasSize(6 - (int) correct);
        long confusionTotal = Files.readAllLines(out.resolve("confusion.csv")).stream().skip(1)
                .flatMap(l -> java.util.Arrays.stream(l.split(",")).skip(1)).mapToLong(Long::parseLong).sum();
        assertThat(confusionTotal).isEqualTo(6);
    }

    @Test
    void labelsNumberedByAnotherClassFileAreReadByClassName(@TempDir Path tmp) throws Exception {
        Path data = splitStripes(tmp, 15);
        Path model = tmp.resolve("model");
        Path val = data.resolve("val.txt");
        // The same images, numbered by a class file in the other order.
        Path reversed = Files.writeString(tmp.resolve("reversed.txt"), "vertical 0\nhorizontal 1\n");
        StringBuilder flipped = new StringBuilder();
        for (String line : Files.readAllLines(val)) {
            int space = line.lastIndexOf(' ');
            String path = data.resolve(line.substring(0, space)).toString();
            flipped.append(path).append(' ').append(1 - Integer.parseInt(line.substring(space + 1))).append('\n');
        }
        Path flippedList = Files.writeString(tmp.resolve("flipped.txt"), flipped);

        CommandsTest.Run natural = repvgg("eval", "--model", model.toString(), "--list", val.toString(), "--json");
        CommandsTest.Run byName = repvgg("eval", "--model", model.toString(), "--list", flippedList.toString(),
                "--classes", reversed.toString(), "--json");

        assertThat(byName.exit()).as(byName.err()).isZero();
        assertThat(byName.err()).contains("labels of " + flippedList + " read by class name: " + reversed);
        JsonObject a = JsonParser.parseString(natural.out().strip()).getAsJsonObject();
        JsonObject b = JsonParser.parseString(byName.out().strip()).getAsJsonObject();
        assertThat(b.get("top1").getAsDouble()).isEqualTo(a.get("top1").getAsDouble());
        assertThat(b.getAsJsonArray("per_class")).isEqualTo(a.getAsJsonArray("per_class"));

        Path unknown = Files.writeString(tmp.resolve("unknown.txt"), "diagonal 0\nvertical 1\n");
        CommandsTest.Run missing = repvgg("eval", "--model", model.toString(), "--list", flippedList.toString(),
                "--classes", unknown.toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains(unknown + ": class 'diagonal' (label 0) is not one of the model's classes");
    }

    /** Through the real main() in its own JVM: what the command prints must reach stdout before exit. */
    @Test
    void theMarkdownReportReachesStdoutOfTheRealCommand(@TempDir Path tmp) throws Exception {
        Path data = splitStripes(tmp, 5);
        Path model = tmp.resolve("model");

        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), RepVggCommand.class.getName(),
                "eval", "--model", model.toString(), "--list", data.resolve("val.txt").toString(), "--engine", "pytorch")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String stdout = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(process.waitFor()).isZero();
        assertThat(stdout).containsPattern("\\*\\*top-1 [0-9.]+, top-5 [0-9.]+\\*\\* on 2 images")
                .contains("| class | precision | recall | F1 | support |", "| horizontal |", "| vertical |");
    }

    @Test
    void labelOutOfRangeNamesTheLine(@TempDir Path tmp) throws Exception {
        Path model = tmp.resolve("model");
        assertThat(repvgg("init", "--arch", "depths=1,1,1,1;widths=0.125,0.125,0.125,0.25", "--classes", "2",
                "--image-size", "16", "--out", model.toString()).exit()).isZero();
        Path list = tmp.resolve("val.txt");
        Files.writeString(list, "a.png 0\na.png 5\n");
        StripeImages.write(tmp.resolve("img"), 1, 0);
        Files.copy(tmp.resolve("img/horizontal/000.png"), tmp.resolve("a.png"));
        CommandsTest.Run run = repvgg("eval", "--model", model.toString(), "--list", list.toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("val.txt:2: label 5 is out of range");
    }

    @Test
    void predictClassifiesImagesAndReportsUnreadableOnes(@TempDir Path tmp) throws Exception {
        Path images = StripeImages.write(tmp.resolve("stripes"), 1, 5);
        Path model = tmp.resolve("model");
        Path classes = tmp.resolve("annotations.txt");
        Files.writeString(classes, "horizontal 0\nvertical 1\n");
        assertThat(repvgg("init", "--arch", "depths=1,1,1,1;widths=0.125,0.125,0.125,0.25", "--classes",
                classes.toString(), "--image-size", "16", "--out", model.toString()).exit()).isZero();
        Path broken = Files.writeString(tmp.resolve("broken.png"), "not an image");
        CommandsTest.Run run = repvgg("predict", "--model", model.toString(), "--json", "--top", "2",
                images.resolve("horizontal/000.png").toString(), broken.toString(), images.resolve("vertical/000.png").toString());
        assertThat(run.exit()).isEqualTo(1);
        List<String> lines = run.out().lines().toList();
        assertThat(lines).hasSize(2);
        JsonObject first = JsonParser.parseString(lines.get(0)).getAsJsonObject();
        assertThat(first.get("path").getAsString()).endsWith("000.png");
        var top = first.getAsJsonArray("top");
        assertThat(top).hasSize(2);
        double total = top.get(0).getAsJsonObject().get("score").getAsDouble() + top.get(1).getAsJsonObject().get("score").getAsDouble();
        assertThat(total).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-6));
        assertThat(run.err()).contains("broken.png");
    }
}
