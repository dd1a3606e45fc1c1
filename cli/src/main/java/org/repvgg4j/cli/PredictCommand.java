package org.repvgg4j.cli;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.repvgg4j.infer.Classifier;
import org.repvgg4j.infer.Scores;
import org.repvgg4j.io.Npy;
import org.repvgg4j.io.NpyArray;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.repvgg4j.api.ClassScore;
import org.repvgg4j.api.Prediction;
import org.repvgg4j.api.RepVggModel;

@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Run a model directory on images or a tensor; print the top classes per input.",
            "Images get the model's own preprocessing (model.json: resize, center crop, mean/std).",
            "--tensor takes an already preprocessed float32 NCHW array (.npy, N x 3 x H x W);",
            "--save-logits writes the raw float32 logits [N, classes] as .npy, for numpy",
            "pipelines and for checks against other implementations."})
final class PredictCommand extends Subcommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    /** Where the input comes from; one mode per option. */
    static final class Input {
        @Option(names = "--tensor", paramLabel = "FILE.npy", description = "preprocessed float32 NCHW input (.npy)")
        Path tensor;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Input input;

    @Parameters(paramLabel = "IMAGE", arity = "0..*", description = "image files to classify (jpg, png, bmp, gif, webp)")
    List<Path> images = new ArrayList<>();

    @Option(names = "--json", description = "with images: one JSON object per image (path, top classes and scores)")
    boolean json;

    @Option(names = "--save-logits", paramLabel = "FILE.npy", description = "write the logits [N, classes] as float32 .npy")
    Path saveLogits;

    @Option(names = "--top-k", defaultValue = "5", paramLabel = "K",
            description = "classes to print per input (default: ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--batch-size", defaultValue = "32", paramLabel = "N",
            description = "inputs per forward pass (default: ${DEFAULT-VALUE})")
    int batchSize;

    /** Rows printed before the rest are only counted; the logits file always has all of them. */
    private static final int PRINTED_ROWS = 10;

    @Override
    public Integer call() throws Exception {
        if (batchSize < 1 || topK < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--batch-size and --top-k must be at least 1");
        }
        if ((input == null) == images.isEmpty()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "give image files, or --tensor FILE.npy (not both)");
        }
        if (input == null) {
            return predictImages();
        }
        try (Classifier classifier = model.open()) {
            NpyArray x = readTensor(input.tensor, classifier);
            float[][] logits = logits(classifier, x);
            if (saveLogits != null) {
                int classes = classifier.numClasses();
                float[] flat = new float[logits.length * classes];
                for (int i = 0; i < logits.length; i++) {
                    System.arraycopy(logits[i], 0, flat, i * classes, classes);
                }
                Npy.write(saveLogits, NpyArray.ofFloats(new long[] {logits.length, classes}, flat));
                out().printf("wrote %s: float32 logits (%d, %d)%n", saveLogits, logits.length, classes);
            }
            printTop(logits, classifier.classes());
        }
        return 0;
    }

    /** Classifies each image through the public API, which applies the model's own resize, crop and normalisation. */
    private int predictImages() throws Exception {
        int failures = 0;
        try (RepVggModel classifier = model.load(topK)) {
            for (Path image : images) {
                Prediction prediction;
                try {
                    prediction = classifier.classify(image);
                } catch (java.io.IOException e) {
                    failures++;
                    err().println("predict: " + RepVggCommand.describe(e));
                    continue;
                }
                if (json) {
                    JsonObject o = new JsonObject();
                    o.addProperty("path", image.toString());
                    JsonArray topk = new JsonArray();
                    for (ClassScore c : prediction.top()) {
                        JsonObject entry = new JsonObject();
                        entry.addProperty("class", c.label());
                        entry.addProperty("index", c.index());
                        entry.addProperty("score", c.probability());
                        topk.add(entry);
                    }
                    o.add("top", topk);
                    out().println(new com.google.gson.Gson().toJson(o));
                } else {
                    StringBuilder line = new StringBuilder(image.toString()).append(':');
                    for (ClassScore c : prediction.top()) {
                        line.append(String.format(Locale.ROOT, "  %s %.3f", c.label(), c.probability()));
                    }
                    out().println(line);
                }
            }
        }
        return failures == 0 ? 0 : 1;
    }

    private NpyArray readTensor(Path file, Classifier classifier) throws java.io.IOException {
        NpyArray x = Npy.read(file);
        long[] s = x.shape();
        if (s.length != 4 || s[1] != 3) {
            throw new IllegalArgumentException(file + ": expected an NCHW array (N, 3, H, W), got shape "
                    + Npy.shapeText(s));
        }
        if (x.dtype() == Npy.DType.INT64) {
            throw new IllegalArgumentException(file + ": int64 values; --tensor takes preprocessed float32 input "
                    + "(x.astype(numpy.float32) after normalising)");
        }
        if (x.dtype() == Npy.DType.FLOAT64) {
            out().println("note: " + file + " is float64; computing in float32");
        }
        int size = classifier.preprocessing().inputSize();
        if (s[2] != size || s[3] != size) {
            out().printf("note: input is %dx%d, the model was set up for %dx%d%n", s[2], s[3], size, size);
        }
        return x;
    }

    /** Logits per input row, in batches so memory stays flat for large arrays. */
    private float[][] logits(Classifier classifier, NpyArray x) {
        long[] s = x.shape();
        if (s[2] != s[3]) {
            throw new IllegalArgumentException(input.tensor + ": input is " + s[2] + "x" + s[3]
                    + "; --tensor takes square images");
        }
        int n = (int) s[0];
        int per = (int) (s[1] * s[2] * s[3]);
        float[] all = x.toFloats();
        float[][] out = new float[n][];
        for (int start = 0; start < n; start += batchSize) {
            int count = Math.min(batchSize, n - start);
            float[][] rows = classifier.scorer().logits(Arrays.copyOfRange(all, start * per, (start + count) * per),
                    count, (int) s[2]);
            System.arraycopy(rows, 0, out, start, count);
        }
        return out;
    }

    private void printTop(float[][] logits, List<String> names) {
        for (int row = 0; row < Math.min(logits.length, PRINTED_ROWS); row++) {
            double[] p = Scores.probabilities(logits[row]);
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%d:", row));
            for (int i : Scores.topK(logits[row], topK)) {
                line.append(String.format(Locale.ROOT, "  %s %.3f", names.get(i), p[i]));
            }
            out().println(line);
        }
        if (logits.length > PRINTED_ROWS) {
            out().printf("... %d more rows%n", logits.length - PRINTED_ROWS);
        }
    }
}
