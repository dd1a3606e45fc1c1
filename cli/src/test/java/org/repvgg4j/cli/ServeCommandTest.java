package org.repvgg4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.repvgg4j.cli.CommandsTest.repvgg;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code repvgg serve} as a process: it answers the load generator, and SIGTERM drains it to exit code 0. */
class ServeCommandTest {

    private static final String TINY = "depths=1,1,1,1;widths=0.125,0.125,0.125,0.25";

    @TempDir
    Path tmp;

    @Test
    void serveAnswersTheLoadGeneratorAndExitsZeroOnSigterm() throws Exception {
        Path model = tmp.resolve("model");
        CommandsTest.Run init = repvgg("init", "--arch", TINY, "--classes", "3", "--image-size", "32", "--out",
                model.toString());
        assertThat(init.exit()).as(init.err()).isZero();
        Path token = Files.writeString(tmp.resolve("token"), "t0ken\n");

        Process server = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                RepVggCommand.class.getName(), "serve", "--model", "tiny=" + model, "--port", "0", "--engine", "pytorch",
                "--token-file", token.toString(), "--max-batch", "4")
                .redirectError(tmp.resolve("serve.err").toFile()).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertThat(line).as(Files.readString(tmp.resolve("serve.err"))).startsWith("serving tiny on ");
            Matcher url = Pattern.compile("(http://\\S+/)").matcher(line);
            assertThat(url.find()).isTrue();

            Path images = Path.of("../examples/fashion-mnist/bag").toAbsolutePath();
            CommandsTest.Run load = repvgg("bench", "serve", "--url", url.group(1), "--model", "tiny", "--images",
                    images.toString(), "--clients", "1,4", "--requests", "40", "--warmup", "4", "--token-file",
                    token.toString(), "--honour-retry-after", "--log", tmp.resolve("requests.csv").toString());
            assertThat(load.exit()).as(load.err()).isZero();
            List<String> reports = load.out().lines().toList();
            assertThat(reports).hasSize(2);
            assertThat(reports.get(0)).startsWith("1 clients, 40 requests").contains("status {200=40}");
            assertThat(reports.get(1)).startsWith("4 clients, 40 requests").contains("status {200=40}")
                    .containsPattern("mean batch [1-4]\\.\\d\\d");
            // Every measured request, not the warm-up: its run's client count, status and its batch (1-4 images).
            List<String> log = Files.readAllLines(tmp.resolve("requests.csv"));
            assertThat(log.get(0)).isEqualTo("run,clients,client,sent_ms,latency_ms,status,server_ms,queue_ms,inference_ms,batch");
            assertThat(log).hasSize(81);
            assertThat(log.subList(1, 41)).allMatch(l -> l.startsWith("1,1,0,") && l.contains(",200,"));
            assertThat(log.subList(41, 81)).allMatch(l -> l.startsWith("2,4,") && l.matches(".*,200,.*,[1-4]"));

            server.destroy(); // SIGTERM
            assertThat(server.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(server.exitValue()).as(Files.readString(tmp.resolve("serve.err"))).isZero();
            assertThat(Files.readString(tmp.resolve("serve.err"))).contains("serve: stopped");
        } finally {
            server.destroyForcibly();
        }
    }
}
