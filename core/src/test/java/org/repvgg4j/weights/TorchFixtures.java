package org.repvgg4j.weights;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The fixtures tools/torch_reference.py wrote under test resources torch/, and its manifest. */
final class TorchFixtures {

    /** One row of manifest.tsv: a checkpoint and the logits PyTorch computed from it. */
    record Row(String file, String layout, String form, String arch, int numClasses, String logits, String notes) {

        @Override
        public String toString() {
            return file + " (" + notes + ")";
        }
    }

    private TorchFixtures() {}

    static Path dir() {
        try {
            return Path.of(TorchFixtures.class.getResource("/torch/manifest.tsv").toURI()).getParent();
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test resources torch/ (run tools/torch_reference.py fixtures)", e);
        }
    }

    static Path file(String name) {
        return dir().resolve(name);
    }

    static List<Row> manifest() {
        try {
            return Files.readAllLines(file("manifest.tsv")).stream().skip(1).filter(l -> !l.isBlank()).map(l -> {
                String[] f = l.split("\t");
                return new Row(f[0], f[1], f[2], f[3], Integer.parseInt(f[4]), f[5], f[6]);
            }).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
