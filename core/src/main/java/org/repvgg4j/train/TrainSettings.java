package org.repvgg4j.train;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.repvgg4j.model.RepVggSpec;

/**
 * Everything that defines a training run, saved as {@code run.json} so that {@code --resume}
 * continues with exactly the same data, schedule and seed.
 *
 * @param warmupEpochs linear warm-up length, in epochs (fractions allowed)
 * @param emaDecay decay of the weight moving average; 0 turns it off
 * @param minScale smallest crop area fraction of RandomResizedCrop
 */
public record TrainSettings(String arch, String trainList, String valList, String classFile, String init,
        int imageSize, int epochs, int batchSize, double lr, double minLr, double warmupEpochs, double momentum,
        double weightDecay, double labelSmoothing, double emaDecay, double minScale, double maxScale, long seed,
        int workers) {

    public static final String FILE = "run.json";
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    public TrainSettings {
        RepVggSpec.parse(arch);
        if (epochs < 1 || batchSize < 2 || imageSize < 8) {
            throw new IllegalArgumentException("need epochs >= 1, batch size >= 2 and image size >= 8");
        }
    }

    public RepVggSpec spec() {
        return RepVggSpec.parse(arch);
    }

    public void write(Path runDir) throws IOException {
        Files.createDirectories(runDir);
        Path tmp = runDir.resolve(FILE + ".tmp");
        Files.writeString(tmp, GSON.toJson(this) + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, runDir.resolve(FILE), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    public static TrainSettings read(Path runDir) throws IOException {
        Path file = runDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "not a training run (no " + FILE + ")");
        }
        try {
            JsonObject o = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
            return GSON.fromJson(o, TrainSettings.class);
        } catch (RuntimeException e) {
            throw new IOException(file + ": unreadable run settings (" + e.getMessage() + ")", e);
        }
    }
}
