package org.repvgg4j.infer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.repvgg4j.io.Sha256;
import org.repvgg4j.weights.ModelDirectory;
import org.repvgg4j.weights.WeightChecksums;

/**
 * What decides a model's scores besides the image: the SHA-256 of its weights file, the engine, the
 * precision and the preprocessing. Batch results record it per shard, so that a run continued with
 * anything else is refused instead of mixing two models' rows in one file.
 */
public record ModelFingerprint(String weightsSha256, String engine, String precision, String preprocessing) {

    /**
     * The fingerprint of {@code classifier} as opened at {@code precision} (null: as the file is written).
     * A model directory's weights digest is the one its model.json records (checked when it was loaded),
     * else it is computed; an exported file's is computed.
     */
    public static ModelFingerprint of(Classifier classifier, String precision) throws IOException {
        Path source = Path.of(classifier.source());
        String digest;
        if (Files.isDirectory(source)) {
            Path weights = source.resolve(ModelDirectory.WEIGHTS_FILE);
            digest = WeightChecksums.recorded(source, ModelDirectory.WEIGHTS_FILE).orElse(null);
            if (digest == null && Files.isRegularFile(weights)) {
                digest = Sha256.of(weights);
            }
        } else {
            digest = Files.isRegularFile(source) ? Sha256.of(source) : null;
        }
        return new ModelFingerprint(digest, classifier.scorer().engine(), precision == null ? "as written" : precision,
                classifier.preprocessing().toString());
    }

    /** What differs from {@code before}, in words ("weights 1a2b3c4d5e6f -> 9f8e7d6c5b4a, engine ..."); empty if nothing. */
    public String differences(ModelFingerprint before) {
        List<String> changes = new ArrayList<>();
        if (before.weightsSha256() != null && weightsSha256 != null && !before.weightsSha256().equals(weightsSha256)) {
            changes.add("model weights (SHA-256 " + Sha256.shortForm(before.weightsSha256()) + " then, "
                    + Sha256.shortForm(weightsSha256) + " now)");
        }
        if (before.engine() != null && !before.engine().equals(engine)) {
            changes.add("engine (" + before.engine() + " then, " + engine + " now)");
        }
        if (before.precision() != null && !before.precision().equals(precision)) {
            changes.add("precision (" + before.precision() + " then, " + precision + " now)");
        }
        if (before.preprocessing() != null && !before.preprocessing().equals(preprocessing)) {
            changes.add("preprocessing (" + before.preprocessing() + " then, " + preprocessing + " now)");
        }
        return String.join(", ", changes);
    }
}
