package org.repvgg4j.export;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.repvgg4j.data.ImageDecoder;
import org.repvgg4j.data.ImageTransform;
import org.repvgg4j.data.ListEntry;
import org.repvgg4j.data.ListFile;
import org.repvgg4j.weights.Preprocessing;

/**
 * Images for quantization, drawn from a list file and preprocessed as the model expects: a sample
 * to calibrate activation ranges on, and a disjoint sample to check the int8 model against fp32 on.
 * A seeded shuffle picks them, so a list sorted by class still gives every class.
 */
public record CalibrationImages(Path list, List<float[]> calibration, List<float[]> check, int unreadable) {

    public CalibrationImages {
        calibration = List.copyOf(calibration);
        check = List.copyOf(check);
    }

    /**
     * Reads {@code list} (labelled or not), shuffles its entries with {@code seed}, and decodes the
     * first {@code calibrationCount} readable images for calibration and the next {@code checkCount}
     * for the check; a list too short for both gives the check what is left (possibly nothing).
     * Unreadable images are skipped and counted.
     */
    public static CalibrationImages load(Path list, int calibrationCount, int checkCount, Preprocessing preprocessing,
            long seed) throws IOException {
        if (calibrationCount < 1 || checkCount < 0) {
            throw new IllegalArgumentException("need >= 1 calibration image and >= 0 check images, got "
                    + calibrationCount + " and " + checkCount);
        }
        if (!Files.isRegularFile(list)) {
            throw new NoSuchFileException(list.toString(), null, "calibration list not found");
        }
        List<ListEntry> entries = new ArrayList<>(ListFile.read(list).entries());
        if (entries.isEmpty()) {
            throw new IllegalArgumentException(list + ": the calibration list has no images");
        }
        Collections.shuffle(entries, new Random(seed));
        ImageTransform transform = ImageTransform.eval(preprocessing);
        List<float[]> calibration = new ArrayList<>();
        List<float[]> check = new ArrayList<>();
        int unreadable = 0;
        // Decoding in parallel, in chunks, so that a mostly unreadable list does not decode everything.
        int next = 0;
        while (next < entries.size() && (calibration.size() < calibrationCount || check.size() < checkCount)) {
            int wanted = calibrationCount + checkCount - calibration.size() - check.size();
            List<ListEntry> chunk = entries.subList(next, Math.min(entries.size(), next + wanted));
            next += chunk.size();
            List<float[]> decoded = chunk.parallelStream().map(e -> {
                try {
                    return transform.apply(ImageDecoder.read(e.path()), null);
                } catch (IOException | RuntimeException ex) {
                    return null;
                }
            }).toList();
            for (float[] image : decoded) {
                if (image == null) {
                    unreadable++;
                } else if (calibration.size() < calibrationCount) {
                    calibration.add(image);
                } else if (check.size() < checkCount) {
                    check.add(image);
                }
            }
        }
        if (calibration.isEmpty()) {
            throw new IOException(list + ": none of its " + entries.size() + " images could be read");
        }
        return new CalibrationImages(list, calibration, check, unreadable);
    }
}
