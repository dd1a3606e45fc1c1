package org.repvgg4j.serve;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The Open Inference Protocol (KServe v2 REST) for tooling that speaks it: server and model metadata,
 * health, and {@code infer} with an FP32 {@code [N,3,H,W]} tensor (already preprocessed) or a BYTES
 * tensor of encoded images (base64 in JSON). The answer holds the {@code scores} tensor ({@code [N,C]}
 * logits) and, as the classification extension does, {@code top_k} strings {@code "probability:index:label"}.
 */
final class InferenceProtocolHandlers {

    static final String SERVER_NAME = "repvgg4j";
    private static final String VERSION = "1";

    private final ServedModels models;
    private final long maxPixels;
    private final String serverVersion;

    private final BooleanSupplier warmingUp;

    /** {@code warmingUp}: true while the server sends itself its warm-up requests (not ready yet). */
    InferenceProtocolHandlers(ServedModels models, long maxPixels, String serverVersion,
            BooleanSupplier warmingUp) {
        this.models = models;
        this.maxPixels = maxPixels;
        this.serverVersion = serverVersion;
        this.warmingUp = warmingUp;
    }

    void serverMetadata(Context ctx) {
        ctx.json(new Answers.ServerMetadata(SERVER_NAME, serverVersion, List.of("classification")));
    }

    void live(Context ctx) {
        ctx.json(new Answers.Live(true));
    }

    /**
     * Ready once every model is loaded, which is before the server listens, and warmed up if
     * {@code --warmup-seconds} asks (until then 503 with {@code "ready": false}, so that a load balancer
     * holds its traffic); while draining every route answers 503.
     */
    void ready(Context ctx) {
        answerReady(ctx, SERVER_NAME);
    }

    private void answerReady(Context ctx, String name) {
        boolean ready = !warmingUp.getAsBoolean();
        ctx.status(ready ? 200 : 503).json(new Answers.Ready(name, ready));
    }

    void modelMetadata(Context ctx) {
        ServedModel model = models.of(ctx);
        int s = model.inputSize();
        ctx.json(new Answers.ModelMetadata(model.name(), List.of(VERSION), "repvgg4j_" + model.engine(),
                List.of(new Answers.TensorMetadata("input", "FP32", List.of(-1, 3, s, s)),
                        new Answers.TensorMetadata("image", "BYTES", List.of(-1))),
                List.of(new Answers.TensorMetadata("scores", "FP32", List.of(-1, model.classes().size())),
                        new Answers.TensorMetadata("top_k", "BYTES", List.of(-1, -1)))));
    }

    void modelReady(Context ctx) {
        ServedModel model = models.of(ctx);
        answerReady(ctx, model.name());
    }

    void infer(Context ctx) {
        ServedModel model = models.of(ctx);
        try (DynamicBatcher.Arrival arrival = model.batcher().arriving()) {
            infer(ctx, model, arrival);
        }
    }

    private void infer(Context ctx, ServedModel model, DynamicBatcher.Arrival arrival) {
        JsonObject request = parse(ctx.bodyAsBytes());
        JsonArray inputs = request.has("inputs") && request.get("inputs").isJsonArray()
                ? request.getAsJsonArray("inputs") : null;
        if (inputs == null || inputs.size() != 1 || !inputs.get(0).isJsonObject()) {
            throw ApiError.badRequest("give exactly one tensor in \"inputs\": FP32 [N,3," + model.inputSize() + ","
                    + model.inputSize() + "] or BYTES [N] (base64 encoded images)");
        }
        JsonObject input = inputs.get(0).getAsJsonObject();
        String datatype = string(input, "datatype");
        List<Integer> shape = shape(input);
        List<float[]> tensors = switch (datatype) {
            case "FP32" -> floatImages(input, shape, model);
            case "BYTES" -> encodedImages(input, shape, model);
            default -> throw ApiError.badRequest("datatype " + datatype + " is not served; use FP32 ([N,3,"
                    + model.inputSize() + "," + model.inputSize() + "], preprocessed) or BYTES ([N], encoded images)");
        };
        int k = PredictionHandlers.topK(topKParameter(request), model.classes().size());
        List<DynamicBatcher.Outcome> outcomes = models.score(model, tensors, PredictionHandlers.start(ctx), arrival);
        int n = outcomes.size();
        int classes = model.classes().size();
        float[] scores = new float[n * classes];
        List<String> top = new ArrayList<>(n * k);
        for (int i = 0; i < n; i++) {
            float[] logits = outcomes.get(i).logits();
            System.arraycopy(logits, 0, scores, i * classes, classes);
            for (Answers.ClassScore c : PredictionHandlers.top(logits, k, model.classes())) {
                top.add(c.probability() + ":" + c.index() + ":" + c.label());
            }
        }
        String id = request.has("id") && request.get("id").isJsonPrimitive() ? request.get("id").getAsString() : null;
        ctx.json(new Answers.InferResponse(model.name(), VERSION, id, List.of(
                new Answers.Tensor("scores", "FP32", List.of(n, classes), scores),
                new Answers.Tensor("top_k", "BYTES", List.of(n, k), top))));
    }

    private static JsonObject parse(byte[] body) {
        try {
            JsonElement json = JsonParser.parseString(new String(body, StandardCharsets.UTF_8));
            if (!json.isJsonObject()) {
                throw ApiError.badRequest("the body must be a JSON object with \"inputs\"");
            }
            return json.getAsJsonObject();
        } catch (JsonParseException e) {
            throw ApiError.badRequest("the body is not JSON (" + e.getMessage() + ")");
        }
    }

    private static String string(JsonObject o, String key) {
        if (!o.has(key) || !o.get(key).isJsonPrimitive()) {
            throw ApiError.badRequest("the input tensor has no \"" + key + "\"");
        }
        return o.get(key).getAsString();
    }

    private static List<Integer> shape(JsonObject input) {
        if (!input.has("shape") || !input.get("shape").isJsonArray()) {
            throw ApiError.badRequest("the input tensor has no \"shape\" array");
        }
        List<Integer> shape = new ArrayList<>();
        for (JsonElement e : input.getAsJsonArray("shape")) {
            try {
                shape.add(e.getAsInt());
            } catch (RuntimeException ex) {
                throw ApiError.badRequest("shape " + input.get("shape") + ": dimensions must be integers");
            }
        }
        return shape;
    }

    private static String topKParameter(JsonObject request) {
        if (request.has("parameters") && request.get("parameters").isJsonObject()) {
            JsonObject p = request.getAsJsonObject("parameters");
            if (p.has("top_k")) {
                return p.get("top_k").getAsString();
            }
        }
        return null;
    }

    /** A preprocessed batch: exactly [N,3,S,S] floats, split per image. */
    private static List<float[]> floatImages(JsonObject input, List<Integer> shape, ServedModel model) {
        int s = model.inputSize();
        if (shape.size() != 4 || shape.get(0) < 1 || shape.get(1) != 3 || shape.get(2) != s || shape.get(3) != s) {
            throw ApiError.badRequest("shape " + shape + " is not served; model '" + model.name() + "' takes FP32 [N,3,"
                    + s + "," + s + "] with N >= 1");
        }
        int per = 3 * s * s;
        long expected = (long) shape.get(0) * per;
        float[] flat = new float[(int) Math.min(expected, Integer.MAX_VALUE)];
        int[] filled = {0};
        if (!input.has("data")) {
            throw ApiError.badRequest("the input tensor has no \"data\"");
        }
        flatten(input.get("data"), flat, filled, expected, shape);
        if (filled[0] != expected) {
            throw ApiError.badRequest("shape " + shape + " needs " + expected + " values; \"data\" has " + filled[0]);
        }
        List<float[]> images = new ArrayList<>(shape.get(0));
        for (int i = 0; i < shape.get(0); i++) {
            float[] image = new float[per];
            System.arraycopy(flat, i * per, image, 0, per);
            images.add(image);
        }
        return images;
    }

    private static void flatten(JsonElement e, float[] into, int[] filled, long expected, List<Integer> shape) {
        if (e.isJsonArray()) {
            for (JsonElement child : e.getAsJsonArray()) {
                flatten(child, into, filled, expected, shape);
            }
            return;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw ApiError.badRequest("FP32 data must be numbers; found " + abbreviate(e.toString()));
        }
        if (filled[0] >= expected) {
            throw ApiError.badRequest("\"data\" has more values than shape " + shape + " holds (" + expected + ")");
        }
        into[filled[0]++] = e.getAsFloat();
    }

    /** Encoded images, base64 strings as JSON carries BYTES, decoded and preprocessed as for predictions. */
    private List<float[]> encodedImages(JsonObject input, List<Integer> shape, ServedModel model) {
        JsonElement data = input.get("data");
        if (data == null || !data.isJsonArray()) {
            throw ApiError.badRequest("a BYTES input needs \"data\": an array of base64 encoded images");
        }
        JsonArray items = data.getAsJsonArray();
        long declared = shape.stream().mapToLong(Integer::longValue).reduce(1, (a, b) -> a * b);
        if (shape.isEmpty() || shape.size() > 2 || (shape.size() == 2 && shape.get(1) != 1) || declared != items.size()) {
            throw ApiError.badRequest("shape " + shape + " does not fit " + items.size() + " images; give [N] or [N,1]");
        }
        List<float[]> images = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            String name = "inputs[0].data[" + i + "]";
            byte[] bytes;
            try {
                bytes = Base64.getDecoder().decode(items.get(i).getAsString());
            } catch (RuntimeException e) {
                throw ApiError.badRequest(name + ": not base64 (" + e.getMessage() + ")");
            }
            images.add(model.preprocess(ImageBytes.decode(bytes, name, maxPixels)));
        }
        return images;
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
