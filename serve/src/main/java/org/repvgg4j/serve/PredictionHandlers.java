package org.repvgg4j.serve;

import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.repvgg4j.data.RgbImage;
import org.repvgg4j.infer.Scores;

/**
 * {@code POST /predictions/{model}}: images in (the raw bytes as the body, or multipart {@code file}
 * parts), labelled top-k out, one entry per image; and {@code POST /cam/{model}}, the Grad-CAM overlay.
 */
final class PredictionHandlers {

    /** Request attribute: when the request arrived (System.nanoTime), for total latency and the deadline. */
    static final String START_ATTRIBUTE = "repvgg.start";

    /** An encoded image from a request and the name its messages use. */
    record Upload(String name, byte[] bytes) {}

    private final ServedModels models;
    private final ServeMetrics metrics;
    private final long maxPixels;

    PredictionHandlers(ServedModels models, ServeMetrics metrics, long maxPixels) {
        this.models = models;
        this.metrics = metrics;
        this.maxPixels = maxPixels;
    }

    void predict(Context ctx) throws IOException {
        ServedModel model = models.of(ctx);
        try (DynamicBatcher.Arrival arrival = model.batcher().arriving()) {
            predict(ctx, model, arrival);
        }
    }

    private void predict(Context ctx, ServedModel model, DynamicBatcher.Arrival arrival) throws IOException {
        int k = topK(ctx.queryParam("top_k"), model.classes().size());
        List<Upload> uploads = uploads(ctx);
        List<float[]> inputs = new ArrayList<>(uploads.size());
        List<Long> preprocessNanos = new ArrayList<>(uploads.size());
        for (Upload upload : uploads) {
            long t0 = System.nanoTime();
            inputs.add(model.preprocess(ImageBytes.decode(upload.bytes(), upload.name(), maxPixels)));
            long spent = System.nanoTime() - t0;
            preprocessNanos.add(spent);
            metrics.latency(model.name(), "preprocess", spent);
        }
        List<DynamicBatcher.Outcome> outcomes = models.score(model, inputs, start(ctx), arrival);
        long total = System.nanoTime() - start(ctx);
        List<Answers.ImagePrediction> answers = new ArrayList<>(uploads.size());
        for (int i = 0; i < uploads.size(); i++) {
            DynamicBatcher.Outcome o = outcomes.get(i);
            Map<String, Double> timings = new LinkedHashMap<>();
            timings.put("preprocess", millis(preprocessNanos.get(i)));
            timings.put("queue", millis(o.queueNanos()));
            timings.put("inference", millis(o.inferenceNanos()));
            timings.put("total", millis(total));
            answers.add(new Answers.ImagePrediction(uploads.get(i).name(), top(o.logits(), k, model.classes()),
                    timings, o.batchSize()));
        }
        ctx.json(new Answers.Predictions(model.name(), answers));
    }

    /** The Grad-CAM overlay of the first image for {@code ?class=} (default: the top class), as a PNG. */
    void cam(Context ctx) throws IOException {
        ServedModel model = models.of(ctx);
        String classParam = ctx.queryParam("class");
        int classIndex = -1;
        if (classParam != null) {
            try {
                classIndex = Integer.parseInt(classParam);
            } catch (NumberFormatException e) {
                throw ApiError.badRequest("class=" + classParam + ": give a class index (0.." + (model.classes().size() - 1) + ")");
            }
            if (classIndex < 0) {
                throw ApiError.badRequest("class=" + classParam + " is negative");
            }
        }
        Upload upload = uploads(ctx).get(0);
        RgbImage image = ImageBytes.decode(upload.bytes(), upload.name(), maxPixels);
        ctx.contentType("image/png").result(model.camPng(image, classIndex));
    }

    static List<Answers.ClassScore> top(float[] logits, int k, List<String> classes) {
        float[] p = Scores.softmax(logits);
        List<Answers.ClassScore> top = new ArrayList<>(k);
        for (int i : Scores.topK(p, k)) {
            top.add(new Answers.ClassScore(i, classes.get(i), p[i]));
        }
        return top;
    }

    static int topK(String text, int classes) {
        if (text == null) {
            return Math.min(5, classes);
        }
        int k;
        try {
            k = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw ApiError.badRequest("top_k=" + text + " is not a number; give 1.." + classes);
        }
        if (k < 1 || k > classes) {
            throw ApiError.badRequest("top_k=" + k + " is out of range; the model has " + classes + " classes");
        }
        return k;
    }

    static long start(Context ctx) {
        Long start = ctx.attribute(START_ATTRIBUTE);
        return start != null ? start : System.nanoTime();
    }

    private static double millis(long nanos) {
        return Math.round(nanos / 1e4) / 100.0;
    }

    /** The request's images: every multipart {@code file} part, or else the whole body. */
    private static List<Upload> uploads(Context ctx) throws IOException {
        String type = ctx.contentType();
        if (type != null && type.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/form-data")) {
            List<UploadedFile> files = ctx.uploadedFiles("file");
            if (files.isEmpty()) {
                throw ApiError.badRequest("the multipart request has no 'file' part; send each image as a part named 'file'");
            }
            List<Upload> uploads = new ArrayList<>(files.size());
            for (UploadedFile file : files) {
                try (InputStream in = file.content()) {
                    uploads.add(new Upload(file.filename() != null ? file.filename() : "file", in.readAllBytes()));
                }
            }
            return uploads;
        }
        return List.of(new Upload("body", ctx.bodyAsBytes()));
    }
}
