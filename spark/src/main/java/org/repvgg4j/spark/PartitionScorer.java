package org.repvgg4j.spark;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.repvgg4j.data.ImageDecoder;
import org.repvgg4j.data.RgbImage;
import org.repvgg4j.infer.Scores;

/**
 * Scores one partition of {@link ScoreTable#INPUT} rows into {@link ScoreTable#OUTPUT} rows, a batch
 * at a time and lazily, so a partition of any size holds at most one batch of images in memory.
 * An image that cannot be read becomes a row with an error; it never fails the task.
 */
public final class PartitionScorer implements MapPartitionsFunction<Row, Row> {

    private final ScoringSettings settings;

    public PartitionScorer(ScoringSettings settings) {
        this.settings = settings;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> images) {
        ScoringModel model = ModelCache.get(settings.modelDirectory(), settings.torchThreads());
        List<String> classes = model.classes();
        return new Iterator<>() {
            private final Deque<Row> ready = new ArrayDeque<>();

            @Override
            public boolean hasNext() {
                if (ready.isEmpty() && images.hasNext()) {
                    scoreNextBatch();
                }
                return !ready.isEmpty();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return ready.poll();
            }

            private void scoreNextBatch() {
                List<String> paths = new ArrayList<>();
                List<float[]> inputs = new ArrayList<>();
                List<String> errors = new ArrayList<>();
                while (images.hasNext() && paths.size() < settings.batchSize()) {
                    Row row = images.next();
                    String path = row.getString(0);
                    byte[] content = row.isNullAt(1) ? null : (byte[]) row.get(1);
                    String name = content == null ? path : ImageInputs.localName(path);
                    paths.add(name);
                    try {
                        RgbImage image = content == null ? ImageDecoder.read(java.nio.file.Path.of(path))
                                : ImageDecoder.read(content, name);
                        inputs.add(model.input(image));
                        errors.add(null);
                    } catch (Exception e) {
                        // One bad image (unreadable, truncated, not an image, a bad path) is a row
                        // with an error, so a rerun or a report can find it; the batch goes on.
                        inputs.add(null);
                        errors.add(e.getMessage() == null ? name + ": " + e : e.getMessage());
                    }
                }
                List<float[]> good = inputs.stream().filter(x -> x != null).toList();
                float[][] scores = new float[0][];
                if (!good.isEmpty()) {
                    scores = model.score(good);
                }
                int g = 0;
                for (int i = 0; i < paths.size(); i++) {
                    if (errors.get(i) != null) {
                        ready.add(RowFactory.create(paths.get(i), null, null, null, errors.get(i)));
                    } else {
                        ready.add(scoredRow(paths.get(i), scores[g++], classes, settings.topK()));
                    }
                }
            }
        };
    }

    /** The row for a scored image: top {@code k} classes best first (ties: lower class index first). */
    static Row scoredRow(String path, float[] scores, List<String> classes, int k) {
        int[] order = Scores.topK(scores, k);
        int n = order.length;
        String[] topClasses = new String[n];
        Float[] topScores = new Float[n];
        for (int i = 0; i < n; i++) {
            topClasses[i] = classes.get(order[i]);
            topScores[i] = scores[order[i]];
        }
        Float[] all = new Float[scores.length];
        for (int c = 0; c < scores.length; c++) {
            all[c] = scores[c];
        }
        return RowFactory.create(path, topClasses, topScores, all, null);
    }
}
