package org.repvgg4j.serve;

import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.config.RoutesConfig;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HttpResponseException;
import io.javalin.router.Endpoint;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import javax.imageio.ImageIO;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code repvgg serve}: RepVGG classifiers over HTTP on Javalin (Jetty). Plain predictions, the Open
 * Inference Protocol, Prometheus metrics and a web page; dynamic batching per model behind a bounded
 * queue. Every route is declared in {@link #routes}; every error becomes a JSON {@code {"error"}} in
 * {@link #errors}.
 *
 * <pre>{@code
 * try (ModelServer server = ModelServer.start(ServeOptions.builder().model("flowers", dir).port(0).build())) {
 *     URI base = server.uri();  // POST base + "predictions/flowers" with the image bytes
 * }
 * }</pre>
 */
public final class ModelServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ModelServer.class);
    private static final String ROUTE_ATTRIBUTE = "repvgg.route";

    private final ServeOptions options;
    private final ServeMetrics metrics = new ServeMetrics();
    private final Map<String, ServedModel> loaded;
    private final ServedModels models;
    private final PredictionHandlers predictions;
    private final InferenceProtocolHandlers inference;
    private final PageHandlers pages;
    private final AtomicInteger inFlight = new AtomicInteger();

    /** How long {@link #close} waits, after the last handler returned, for responses to be written. */
    private static final long CONNECTIONS_CLOSE_MS = 2_000;
    private final byte[] token;
    private volatile boolean draining;
    private volatile boolean warmingUp;
    private Javalin app;

    private ModelServer(ServeOptions options, Map<String, ServedModel> loaded, ResultsView results) {
        this.options = options;
        this.loaded = loaded;
        this.models = new ServedModels(loaded, metrics, options.timeoutMs());
        this.predictions = new PredictionHandlers(models, metrics, options.maxPixels());
        String version = ModelServer.class.getPackage().getImplementationVersion();
        this.inference = new InferenceProtocolHandlers(models, options.maxPixels(), version != null ? version : "dev",
                () -> warmingUp);
        this.pages = new PageHandlers(models, results);
        this.token = options.token() == null ? null : ("Bearer " + options.token()).getBytes(StandardCharsets.UTF_8);
    }

    /** Loads every model, reads the results if given, and listens; returns once requests are answered. */
    public static ModelServer start(ServeOptions options) throws IOException {
        return start(options, UnaryOperator.identity());
    }

    /** As {@link #start(ServeOptions)}, with each model's forward pass wrapped (tests hold it to fill the queue). */
    static ModelServer start(ServeOptions options, UnaryOperator<DynamicBatcher.Forward> wrapForward)
            throws IOException {
        Map<String, ServedModel> loaded = new LinkedHashMap<>();
        ModelServer server = null;
        try {
            ResultsView results = options.results() == null ? null
                    : ResultsView.read(options.results(), options.resultsList());
            // The server's metrics registry exists before the models so that their queue gauges land in it.
            server = new ModelServer(options, loaded, results);
            for (Map.Entry<String, Path> m : options.models().entrySet()) {
                loaded.put(m.getKey(), ServedModel.load(m.getKey(), m.getValue(), options, server.metrics, wrapForward));
            }
            server.warmingUp = options.warmupSeconds() > 0;
            server.listen();
            if (server.warmingUp) {
                server.warmUp();
            }
            return server;
        } catch (IOException | RuntimeException e) {
            if (server != null && server.app != null) {
                server.app.stop(); // the warm-up failed after the server had started listening
            }
            loaded.values().forEach(ServedModel::close);
            throw e;
        }
    }

    /**
     * Sends each model {@code --warmup-seconds} of requests through the server's own HTTP port, from as
     * many clients as a batch holds, with a synthetic image of the model's input size, before readiness
     * turns true. A fresh JVM compiles its request path (HTTP, decoding, JSON) during its first tens of
     * seconds under load, and serves slower meanwhile (docs/BENCHMARKS.md, "Serving"); this spends part of
     * that before traffic comes. The requests count in {@code /metrics} like any. A model that answers them
     * with anything but 200 stops the server from starting.
     */
    private void warmUp() throws IOException {
        for (ServedModel model : loaded.values()) {
            long start = System.nanoTime();
            Map<Integer, Integer> answers;
            try (LoadGenerator load = LoadGenerator.ofEncoded(uri(), model.name(), options.token(),
                    List.of(syntheticPng(model.inputSize())))) {
                answers = load.sendFor(options.maxBatch(), options.warmupSeconds());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("warm-up of " + model.name() + " interrupted", e);
            }
            if (answers.keySet().stream().anyMatch(status -> status != 200)) {
                throw new IllegalStateException("warm-up of model '" + model.name() + "': answers by status " + answers
                        + "; expected only 200");
            }
            LOG.info("warm-up of {}: {} requests in {} s", model.name(), answers.getOrDefault(200, 0),
                    String.format(Locale.ROOT, "%.1f", (System.nanoTime() - start) / 1e9));
        }
        warmingUp = false;
        LOG.info("serving {} on {}", models, uri());
    }

    /** A PNG of smooth colour gradients, {@code side} x {@code side}: decodes and scores like a photo. */
    private static byte[] syntheticPng(int side) throws IOException {
        BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                image.setRGB(x, y, (255 * x / side) << 16 | (255 * y / side) << 8 | (255 * (x + y) / (2 * side)));
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(image, "png", png);
        return png.toByteArray();
    }

    private void listen() {
        app = Javalin.create(this::configure).start(options.host(), options.port());
        if (warmingUp) {
            LOG.info("listening on {}; warming up {} for {} s each before saying ready", uri(), models,
                    options.warmupSeconds());
        } else {
            LOG.info("serving {} on {}", models, uri());
        }
    }

    private void configure(JavalinConfig config) {
        config.startup.showJavalinBanner = false;
        config.jsonMapper(new Json());
        config.http.prefer405over404 = true;
        config.http.maxRequestSize = options.maxBodyBytes();
        config.jetty.multipartConfig.maxFileSize(options.maxBodyBytes(), SizeUnit.BYTES);
        config.jetty.multipartConfig.maxTotalRequestSize(options.maxBodyBytes(), SizeUnit.BYTES);
        config.router.handlerWrapper(this::countInFlight);
        routes(config.routes);
        errors(config.routes);
    }

    /** Every route the server answers, in one place. */
    private void routes(RoutesConfig r) {
        r.before(this::admit);
        r.after(this::countRequest);

        r.get("/", pages::index);
        r.get("/assets/{file}", pages::asset);
        r.get("/models", pages::modelList);
        r.get("/results", pages::resultsSummary);
        r.get("/results/cell", pages::resultsCell);
        r.get("/results/image", pages::resultsImage);

        r.post("/predictions/{model}", predictions::predict);
        r.post("/cam/{model}", predictions::cam);

        r.get("/v2", inference::serverMetadata);
        r.get("/v2/health/live", inference::live);
        r.get("/v2/health/ready", inference::ready);
        r.get("/v2/models/{model}", inference::modelMetadata);
        r.get("/v2/models/{model}/ready", inference::modelReady);
        r.post("/v2/models/{model}/infer", inference::infer);

        r.get("/metrics", this::metricsText);
    }

    /** Every failure as a status and a JSON {@code {"error"}}, mapped once. */
    private void errors(RoutesConfig r) {
        r.exception(ApiError.class, (e, ctx) -> {
            e.headers().forEach(ctx::header);
            error(ctx, e.status(), e.getMessage());
        });
        r.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(), switch (e.getStatus()) {
            case 404 -> "no route " + ctx.method() + " " + ctx.path() + " (see docs/serving.md)";
            case 405 -> "method " + ctx.method() + " is not allowed on " + ctx.path();
            case 413 -> "the body is larger than " + options.maxBodyBytes() + " bytes (--max-body-mb)";
            default -> e.getMessage();
        }));
        r.exception(Exception.class, (e, ctx) -> {
            LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
            error(ctx, 500, "internal error: " + e);
        });
    }

    /**
     * Reads and drops the rest of a refused body, up to four times the limit, so that the answer is
     * sent to a client that has finished sending: closing a connection with unread bytes in it resets
     * it, and the client may then never see the 413. A body larger still is not worth the read: the
     * answer says Connection: close and the client may see a reset instead.
     */
    private void discardBody(Context ctx) {
        long budget = 4 * options.maxBodyBytes();
        byte[] sink = new byte[64 * 1024];
        try {
            var in = ctx.req().getInputStream();
            for (int n; budget > 0 && (n = in.read(sink, 0, (int) Math.min(sink.length, budget))) >= 0; ) {
                budget -= n;
            }
        } catch (IOException | IllegalStateException e) {
            LOG.debug("could not read the rest of a refused body: {}", e.toString());
            budget = 0;
        }
        if (budget <= 0) {
            ctx.header("Connection", "close");
        }
    }

    /** The answer to every failure; a 413's refused body is read off first ({@link #discardBody}). */
    private void error(Context ctx, int status, String message) {
        if (status == 413) {
            discardBody(ctx);
        }
        ctx.status(status).json(new Answers.Error(message));
    }

    /** Before any route: the start time, the body size and the bearer token (health needs none). */
    private void admit(Context ctx) {
        ctx.attribute(PredictionHandlers.START_ATTRIBUTE, System.nanoTime());
        long length = ctx.req().getContentLengthLong();
        if (length > options.maxBodyBytes()) {
            throw ApiError.tooLarge(length, options.maxBodyBytes());
        }
        if (token != null && !open(ctx.path())) {
            String given = ctx.header("Authorization");
            if (given == null || !MessageDigest.isEqual(token, given.getBytes(StandardCharsets.UTF_8))) {
                ctx.header("WWW-Authenticate", "Bearer");
                throw new ApiError(401, given == null ? "this server needs 'Authorization: Bearer <token>' (--token-file)"
                        : "the bearer token is wrong");
            }
        }
    }

    /** Health (for load balancers) and the page's own files need no token; the page asks for it. */
    private static boolean open(String path) {
        return path.startsWith("/v2/health/") || path.equals("/") || path.startsWith("/assets/");
    }

    /** Wraps each route's handler: refused while draining, counted while running so shutdown can wait. */
    private Handler countInFlight(Endpoint endpoint) {
        Handler handler = endpoint.handler;
        if (!endpoint.method.isHttpMethod()) {
            return handler;
        }
        return ctx -> {
            ctx.attribute(ROUTE_ATTRIBUTE, endpoint.path);
            if (draining) {
                throw ApiError.shuttingDown();
            }
            inFlight.incrementAndGet();
            try {
                handler.handle(ctx);
            } finally {
                inFlight.decrementAndGet();
            }
        };
    }

    private void countRequest(Context ctx) {
        String route = ctx.attribute(ROUTE_ATTRIBUTE);
        String model = ctx.attribute(ServedModels.MODEL_ATTRIBUTE);
        metrics.request(model != null ? model : "", route != null ? route : "unmatched", ctx.statusCode(),
                System.nanoTime() - PredictionHandlers.start(ctx));
    }

    private void metricsText(Context ctx) {
        ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape());
    }

    public int port() {
        return app.port();
    }

    public URI uri() {
        String host = options.host().contains(":") ? "[" + options.host() + "]" : options.host();
        return URI.create("http://" + host + ":" + port() + "/");
    }

    /**
     * Graceful stop: stop accepting connections, answer what was accepted (up to the request deadline),
     * score what is queued, then free the models.
     */
    @Override
    public void close() {
        draining = true;
        if (app != null) {
            List<CompletableFuture<Void>> connectionsClosed = new ArrayList<>();
            for (Connector c : app.jettyServer().server().getConnectors()) {
                if (c instanceof ServerConnector connector) {
                    // Stops accepting; the future completes when the open connections have closed.
                    connectionsClosed.add(connector.shutdown());
                }
            }
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(options.timeoutMs() + 1000);
            while (inFlight.get() > 0 && System.nanoTime() < until) {
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            // A handler has returned before its response is written: let the connections finish
            // writing and close, a bounded while, before the server stops under them.
            try {
                CompletableFuture.allOf(connectionsClosed.toArray(CompletableFuture[]::new))
                        .get(CONNECTIONS_CLOSE_MS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                LOG.debug("connections still open at shutdown: {}", e.toString());
            }
            app.stop();
        }
        loaded.values().forEach(ServedModel::close);
    }
}
