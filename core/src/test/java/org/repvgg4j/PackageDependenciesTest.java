package org.repvgg4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The network and its fusion math stand on their own: how a machine runs them lives elsewhere. */
class PackageDependenciesTest {

    private static final Path SOURCES = Path.of("src/main/java/org/repvgg4j");

    @Test
    void modelAndReparamImportNothingFromPlatformInferTrainOrBench() throws IOException {
        List<String> offending = new ArrayList<>();
        for (String pkg : List.of("model", "reparam")) {
            try (Stream<Path> files = Files.walk(SOURCES.resolve(pkg))) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    for (String line : Files.readAllLines(file)) {
                        if (line.matches("import (static )?org\\.repvgg4j\\.(platform|infer|train|bench)\\..*")) {
                            offending.add(SOURCES.relativize(file) + ": " + line);
                        }
                    }
                }
            }
        }
        assertThat(offending).isEmpty();
        assertThat(SOURCES.resolve("model/RepVggBlock.java")).exists();
    }

    @Test
    void theNetworkDoesNotMentionTheTrainingConvolutionPaths() throws IOException {
        for (String file : List.of("RepVgg.java", "RepVggBlock.java", "ConvBn.java")) {
            String source = Files.readString(SOURCES.resolve("model").resolve(file));
            assertThat(source).as(file).doesNotContainIgnoringCase("phases").doesNotContainIgnoringCase("channels-last")
                    .doesNotContainIgnoringCase("channelsLast").doesNotContainIgnoringCase("strided");
        }
    }

    /** The public API stands on the implementation, never the reverse (model directories name its classes as text). */
    @Test
    void noImplementationPackageImportsThePublicApi() throws IOException {
        List<String> offending = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java") && !f.startsWith(SOURCES.resolve("api")))
                    .toList()) {
                for (String line : Files.readAllLines(file)) {
                    if (line.matches("import (static )?org\\.repvgg4j\\.api\\..*")) {
                        offending.add(SOURCES.relativize(file) + ": " + line);
                    }
                }
            }
        }
        assertThat(offending).isEmpty();
    }
}
