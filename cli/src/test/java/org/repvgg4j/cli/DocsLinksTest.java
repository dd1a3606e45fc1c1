package org.repvgg4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The relative links of README.md and docs/ resolve: tools/check_links.py, run where Python 3 is installed. */
class DocsLinksTest {

    @Test
    void everyRelativeLinkInTheDocsResolves() throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        Path python = Path.of("/usr/bin/python3");
        Assumptions.assumeTrue(Files.isExecutable(python), "no /usr/bin/python3: tools/check_links.py not run");
        Process check = new ProcessBuilder(python.toString(), root.resolve("tools/check_links.py").toString())
                .redirectErrorStream(true).start();
        String output = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(check.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(check.exitValue()).as(output).isZero();
        assertThat(output).contains("all resolve");
    }

    @Test
    void theReadmeFitsFiveMinutesAndShowsTheTwoCommands() throws Exception {
        Path readme = Path.of("..", "README.md");
        String text = Files.readString(readme);
        assertThat(text.lines().count()).as("README.md lines").isLessThanOrEqualTo(180);
        assertThat(text).contains("./repvgg demo").contains("mvn -B verify");
    }
}
