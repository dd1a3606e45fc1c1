package org.repvgg4j.cli;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.repvgg4j.data.ImageFiles;
import org.repvgg4j.data.ListEntry;
import org.repvgg4j.data.ListFile;
import org.repvgg4j.serve.LoadGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Load a running 'repvgg serve': N concurrent clients post images until --requests have been"
            + " sent, then report throughput, latency percentiles, answers by status and the server's mean batch size.")
final class ServeLoadCommand extends Subcommand implements Callable<Integer> {

    @Option(names = "--url", defaultValue = "http://127.0.0.1:8080/", description = "the server (default: ${DEFAULT-VALUE})")
    URI url;

    @Option(names = "--model", required = true, paramLabel = "NAME", description = "the served model's name")
    String model;

    @Option(names = "--images", required = true, paramLabel = "LIST|DIR", description = "a list file or a folder of images")
    Path images;

    @Option(names = "--clients", defaultValue = "8", split = ",", paramLabel = "N[,N...]",
            description = "concurrent clients; several values run one after the other (default: ${DEFAULT-VALUE})")
    List<Integer> clients;

    @Option(names = "--requests", defaultValue = "1000", paramLabel = "N", description = "requests per run (default: ${DEFAULT-VALUE})")
    int requests;

    @Option(names = "--warmup", defaultValue = "64", paramLabel = "N",
            description = "requests each run sends first, from the same clients without a pause, and does not measure"
                    + " (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--token-file", paramLabel = "FILE", description = "the server's bearer token file")
    Path tokenFile;

    @Option(names = "--honour-retry-after",
            description = "after a 503, a client waits the seconds its Retry-After says before asking again"
                    + " (default: at once, as a client that hammers)")
    boolean honourRetryAfter;

    @Option(names = "--log", paramLabel = "FILE",
            description = "also write every measured request to FILE as CSV: when it was sent, its latency and status,"
                    + " and the server's own timings and batch size from its answer")
    Path log;

    @Override
    public Integer call() throws Exception {
        String token = tokenFile == null ? null
                : Files.readAllLines(tokenFile, StandardCharsets.UTF_8).stream().findFirst().orElse("").trim();
        String base = url.toString().endsWith("/") ? url.toString() : url + "/";
        try (LoadGenerator load = new LoadGenerator(URI.create(base), model, token, imagePaths())) {
            List<String> lines = new ArrayList<>(List.of(LoadGenerator.Sample.CSV_HEADER));
            for (int run = 1; run <= clients.size(); run++) {
                int n = clients.get(run - 1);
                LoadGenerator.Report report = load.run(n, warmup, requests, honourRetryAfter);
                out().println(report);
                int number = run;
                report.samples().forEach(s -> lines.add(s.csv(number, n)));
            }
            if (log != null) {
                Files.write(log, lines, StandardCharsets.UTF_8);
            }
        }
        return 0;
    }

    private List<Path> imagePaths() throws IOException {
        if (Files.isDirectory(images)) {
            try (Stream<Path> files = Files.walk(images)) {
                return files.filter(Files::isRegularFile).filter(ImageFiles::hasImageExtension).sorted().toList();
            }
        }
        List<Path> out = new ArrayList<>();
        for (ListEntry e : ListFile.read(images).entries()) {
            out.add(e.path());
        }
        return out;
    }
}
