package org.repvgg4j.serve;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The web page (plain HTML, JS and CSS from the jar: no build step, nothing fetched from elsewhere), the
 * model list it reads, and the batch results view ({@code --results DIR --list labelled.txt}).
 */
final class PageHandlers {

    /** The page's files and their content types; nothing else under /assets is served. */
    private static final Map<String, String> ASSETS = Map.of(
            "app.js", "text/javascript; charset=utf-8",
            "style.css", "text/css; charset=utf-8");

    private final ServedModels models;
    private final ResultsView results;

    PageHandlers(ServedModels models, ResultsView results) {
        this.models = models;
        this.results = results;
    }

    void index(Context ctx) throws IOException {
        ctx.contentType("text/html; charset=utf-8").result(resource("index.html"));
    }

    void asset(Context ctx) throws IOException {
        String file = ctx.pathParam("file");
        String type = ASSETS.get(file);
        if (type == null) {
            throw new ApiError(404, "no page file '" + file + "'");
        }
        ctx.contentType(type).result(resource(file));
    }

    void modelList(Context ctx) {
        ctx.json(models.all().stream()
                .map(m -> new Answers.ModelInfo(m.name(), m.classes(), m.inputSize(), m.engine())).toList());
    }

    void resultsSummary(Context ctx) {
        ctx.json(view().summary());
    }

    void resultsCell(Context ctx) {
        ctx.json(view().cell(intParam(ctx, "actual"), intParam(ctx, "predicted")));
    }

    void resultsImage(Context ctx) throws IOException {
        Path file = view().image(ctx.queryParam("path"));
        if (!ResultsView.exists(file)) {
            throw new ApiError(404, file + " is in the results list but no longer on disk");
        }
        ctx.contentType(ResultsView.contentType(file)).result(Files.readAllBytes(file));
    }

    private ResultsView view() {
        if (results == null) {
            throw new ApiError(404, "no results: start the server with --results DIR --list labelled.txt");
        }
        return results;
    }

    private static int intParam(Context ctx, String name) {
        String text = ctx.queryParam(name);
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw ApiError.badRequest(name + "=" + text + ": give a class index");
        }
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = PageHandlers.class.getResourceAsStream("/org/repvgg4j/serve/web/" + name)) {
            if (in == null) {
                throw new IllegalStateException("the jar has no web/" + name + "; it was built without its resources");
            }
            return in.readAllBytes();
        }
    }
}
