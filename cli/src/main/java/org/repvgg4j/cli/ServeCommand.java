package org.repvgg4j.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.repvgg4j.serve.ModelServer;
import org.repvgg4j.serve.ServeOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve models over HTTP: POST /predictions/{model} (image bytes or multipart 'file' parts),",
            "the Open Inference Protocol under /v2, Prometheus metrics at /metrics and a web page at /.",
            "Requests close in time run as one batch; a full queue answers 503 with Retry-After. SIGTERM",
            "stops accepting, answers what was accepted and exits 0. See docs/serving.md."})
final class ServeCommand extends Subcommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "NAME=DIR",
            description = "a model to serve under NAME: a model directory, an ONNX or TorchScript file (repeatable)")
    Map<String, Path> models = new LinkedHashMap<>();

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to listen on (default: ${DEFAULT-VALUE}, this machine only)")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "port (default: ${DEFAULT-VALUE}; 0 picks a free one)")
    int port;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "file whose first line is the bearer token every route but /v2/health needs")
    Path tokenFile;

    @Option(names = "--max-batch", defaultValue = "32", paramLabel = "N",
            description = "most images in one forward pass (default: ${DEFAULT-VALUE})")
    int maxBatch;

    @Option(names = "--max-delay-ms", defaultValue = "5", paramLabel = "MS",
            description = "how long the first image of a batch waits for others (default: ${DEFAULT-VALUE})")
    int maxDelayMs;

    @Option(names = "--max-queue", paramLabel = "N",
            description = "images waiting per model before 503 (default: 4 x --max-batch)")
    Integer maxQueue;

    @Option(names = "--timeout-ms", defaultValue = "10000", paramLabel = "MS",
            description = "a request not answered by then gets 504, never a late answer (default: ${DEFAULT-VALUE})")
    long timeoutMs;

    @Option(names = "--max-body-mb", defaultValue = "16", paramLabel = "MB",
            description = "largest request body, else 413 (default: ${DEFAULT-VALUE})")
    long maxBodyMb;

    @Option(names = "--max-pixels", defaultValue = "40000000", paramLabel = "N",
            description = "largest image (width x height, read from its header before decoding), else 400 "
                    + "(default: ${DEFAULT-VALUE})")
    long maxPixels;

    @Option(names = "--results", paramLabel = "DIR", description = "a 'repvgg batch' output folder to show on the page")
    Path results;

    @Option(names = "--list", paramLabel = "LIST", description = "the labelled list (<image path> <label>) of --results")
    Path list;

    @Option(names = "--engine", paramLabel = "ENGINE",
            description = "pytorch, onnxruntime or onednn (default: the fastest measured for this CPU, as for predict)")
    String engine;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
            description = "threads per operator in each instance (default: the processors shared out between the instances)")
    int threads;

    @Option(names = "--instances", defaultValue = "1", paramLabel = "N",
            description = "copies of each network that run batches side by side (default: ${DEFAULT-VALUE})")
    int instances;

    @Option(names = "--warmup-seconds", defaultValue = "0", paramLabel = "S",
            description = "before saying it is ready, send each model S seconds of requests through the server's own"
                    + " port: a fresh JVM serves slower while it compiles (default: ${DEFAULT-VALUE}, none)")
    double warmupSeconds;

    @Override
    public Integer call() throws Exception {
        ServeOptions.Builder options = ServeOptions.builder().host(host).port(port).maxBatch(maxBatch)
                .maxDelayMs(maxDelayMs).maxQueue(maxQueue).timeoutMs(timeoutMs).maxBodyBytes(maxBodyMb << 20)
                .maxPixels(maxPixels).engine(engine).threads(threads).instances(instances).warmupSeconds(warmupSeconds);
        models.forEach(options::model);
        if (results != null || list != null) {
            options.results(results, list);
        }
        if (tokenFile != null) {
            String token = Files.readAllLines(tokenFile, StandardCharsets.UTF_8).stream().findFirst().orElse("").trim();
            if (token.isEmpty()) {
                throw new IllegalArgumentException(tokenFile + ": the first line must hold the token");
            }
            options.token(token);
        }
        CountDownLatch stop = new CountDownLatch(1);
        try (ModelServer server = ModelServer.start(options.build())) {
            // A shutdown hook cannot set the exit code (SIGTERM ends the JVM with 143); handling the
            // signal lets the main thread drain the server and return 0, as orchestrators expect.
            for (String signal : new String[] {"TERM", "INT"}) {
                sun.misc.Signal.handle(new sun.misc.Signal(signal), s -> stop.countDown());
            }
            out().println("serving " + String.join(", ", models.keySet()) + " on " + server.uri()
                    + " (SIGTERM or Ctrl-C stops)");
            stop.await();
            err().println("serve: stopping: answering accepted requests ...");
        }
        err().println("serve: stopped");
        return 0;
    }
}
