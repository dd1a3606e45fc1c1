package org.repvgg4j.cli;

import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.repvgg4j.infer.BatchInference;
import org.repvgg4j.infer.Classifier;
import org.repvgg4j.infer.ModelFingerprint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

@Command(name = "batch", mixinStandardHelpOptions = true,
        description = {"Score many images: every list file (or every *.txt in a folder) is a shard, written to",
            "<out>/<shard>.npy (float32 [N, classes] probabilities; NaN rows for unreadable images) and",
            "<out>/<shard>.csv (path, top-k classes and scores, error). --images DIR scores every image under",
            "a folder (jpg, jpeg, png, bmp, gif, webp; in path order) as one shard named after it, without a",
            "list file. Decoding, the network and writing run as a pipeline with bounded queues. Run the same",
            "command again after an interruption: finished shards are skipped and an unfinished one continues",
            "after its last written row."})
final class BatchCommand extends Subcommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Option(names = "--list", arity = "1..*", paramLabel = "LIST|DIR",
            description = "list files (<image path> [label] per line), or folders of them")
    List<Path> lists = new ArrayList<>();

    @Option(names = "--images", arity = "1..*", paramLabel = "DIR",
            description = "folders of images, each scored as one unlabelled list (sub-folders included)")
    List<Path> imageFolders = new ArrayList<>();

    @Option(names = "--out", defaultValue = "batch-results", paramLabel = "DIR",
            description = "results folder (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--batch-size", defaultValue = "32", paramLabel = "N",
            description = "images per forward pass (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--workers", paramLabel = "N", description = "image decoding threads (default: one per core)")
    Integer workers;

    @Option(names = "--top-k", defaultValue = "5", paramLabel = "K",
            description = "classes named per CSV row (default: ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--json", description = "print the run's summary as one JSON object")
    boolean json;

    @Option(names = "--quiet", description = "no progress: errors and the final summary only")
    boolean quiet;

    @Option(names = "--restart", description = {"discard the results already in --out for these shards and score them",
        "again (a run continued with another model, list or --top-k is refused without it)"})
    boolean restart;

    @Override
    public Integer call() throws Exception {
        if (lists.isEmpty() && imageFolders.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "give --list LIST|DIR or --images DIR");
        }
        if (batchSize < 1 || topK < 1 || (workers != null && workers < 1)) {
            throw new ParameterException(spec.commandLine(), "--batch-size, --top-k and --workers must be at least 1");
        }
        List<BatchInference.Shard> shards = BatchInference.shards(lists, imageFolders);
        int threads = workers != null ? workers : Runtime.getRuntime().availableProcessors();
        try (Classifier classifier = model.open()) {
            BatchInference inference = new BatchInference(classifier,
                    new BatchInference.Options(batchSize, threads, topK),
                    ModelFingerprint.of(classifier, model.precision().id()));
            ProgressLine bar = ProgressLine.of(err(), quiet);
            long started = System.nanoTime();
            BatchInference.Summary summary;
            try {
                summary = inference.run(shards, out, (written, total, errors) -> {
                    double rate = written / ((System.nanoTime() - started) / 1e9);
                    bar.update("batch", (int) written, (int) total, String.format(Locale.ROOT,
                            "%.1f img/s, %d error(s)", rate, errors), rate, total - written);
                }, restart);
            } finally {
                bar.finish(); // an error (a full disk) is then printed on a line of its own
            }
            if (json) {
                JsonObject o = new JsonObject();
                o.addProperty("engine", classifier.scorer().engine());
                o.addProperty("batch", batchSize);
                o.addProperty("workers", threads);
                o.addProperty("shards", shards.size());
                o.addProperty("shards_scored", summary.shardsScored());
                o.addProperty("shards_skipped", summary.shardsSkipped());
                o.addProperty("rows", summary.rows());
                o.addProperty("resumed_rows", summary.resumedRows());
                o.addProperty("errors", summary.errors());
                o.addProperty("seconds", summary.seconds());
                o.addProperty("images_per_s", summary.imagesPerSecond());
                out().println(o);
            } else {
                out().printf(Locale.ROOT, "%s on %s: %d image(s) in %.1f s (%.1f img/s), %d error row(s)%n",
                        classifier.source(), classifier.scorer().engine(), summary.rows(), summary.seconds(),
                        summary.imagesPerSecond(), summary.errors());
                out().printf("shards: %d scored now%s%s; results in %s%n", summary.shardsScored(),
                        summary.shardsSkipped() > 0 ? ", " + summary.shardsSkipped() + " already finished" : "",
                        summary.resumedRows() > 0 ? " (continued after " + summary.resumedRows() + " earlier rows)" : "",
                        out);
            }
        }
        return 0;
    }
}
