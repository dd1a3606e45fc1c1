package org.repvgg4j.infer;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.repvgg4j.data.ImageDecoder;
import org.repvgg4j.data.ImageFiles;
import org.repvgg4j.data.ImageTransform;
import org.repvgg4j.data.ListEntry;
import org.repvgg4j.data.ListFile;
import org.repvgg4j.io.FolderLock;
import org.repvgg4j.io.Sha256;

/**
 * Scores list files shard by shard into {@link ShardResults}: image decoding and preprocessing on
 * worker threads, batching and the network on the calling thread, writing on a writer thread, with
 * bounded queues between them so memory stays flat however many images there are. Rows keep list
 * order. A run that was interrupted continues where it stopped; finished shards are skipped.
 */
public final class BatchInference {

    /** The run's record of what it scores, checked when a run is continued. */
    public static final String MANIFEST = "batch.json";

    /** {@code workers}: decoding threads; {@code topK}: classes named per CSV row. */
    public record Options(int batchSize, int workers, int topK) {
        public Options {
            if (batchSize < 1 || workers < 1 || topK < 1) {
                throw new IllegalArgumentException("batch size, workers and top-k must be >= 1, got "
                        + batchSize + ", " + workers + ", " + topK);
            }
        }
    }

    /** One list file to score; its results are named after it. */
    public record Shard(String name, ListFile list) {}

    /** Progress as rows are written; called from the writer thread. */
    public interface Listener {
        void progress(long written, long total, long errors);
    }

    /**
     * What a run did: shards finished by this run and skipped as already finished, rows written now
     * (errors among them), and the seconds from the first read to the last row written.
     */
    public record Summary(int shardsScored, int shardsSkipped, long rows, long errors, long resumedRows,
            double seconds) {
        public double imagesPerSecond() {
            return seconds > 0 ? rows / seconds : 0;
        }
    }

    private record Pending(ShardResults shard, Future<Decoded> decoded) {}

    private record Decoded(float[] input, String error) {}

    /**
     * A shard as the manifest records it: its list (path, entries, SHA-256 of its content) and the model
     * that scored it. The digests are absent in manifests written before they existed.
     */
    private record ManifestShard(String name, String list, int rows, String listSha256, ModelFingerprint model) {}

    private record Manifest(String model, List<String> classes, int top_k, List<ManifestShard> shards) {}

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    private final Classifier classifier;
    private final Options options;
    private final ModelFingerprint fingerprint;

    /** Scores with {@code classifier}, whose fingerprint is taken from the file it was opened from. */
    public BatchInference(Classifier classifier, Options options) throws IOException {
        this(classifier, options, ModelFingerprint.of(classifier, null));
    }

    /** Scores with {@code classifier}; {@code fingerprint} is recorded per shard and checked when a run continues. */
    public BatchInference(Classifier classifier, Options options, ModelFingerprint fingerprint) {
        this.classifier = classifier;
        this.options = options;
        this.fingerprint = fingerprint;
    }

    /**
     * The shards named by {@code inputs}: list files, or folders whose {@code *.txt} files are lists
     * (in name order). Each list is read and checked here, so a bad line stops the run before any work.
     */
    public static List<Shard> shards(List<Path> inputs) throws IOException {
        return shards(inputs, List.of());
    }

    /**
     * The shards of {@code lists} (as {@link #shards(List)}) and then one unlabelled shard per folder of
     * {@code imageFolders}: every image under it by extension ({@link ImageFiles#withImageExtension}),
     * in path order so that a continued run lines up with the rows already written, named after the
     * folder. Nothing is written into those folders.
     */
    public static List<Shard> shards(List<Path> lists, List<Path> imageFolders) throws IOException {
        List<Shard> shards = new ArrayList<>();
        for (Path file : listFiles(lists)) {
            ListFile list = ListFile.read(file);
            checkRowsFollowLines(list);
            shards.add(new Shard(file.getFileName().toString().replaceFirst("\\.[^.]*$", ""), list));
        }
        for (Path folder : imageFolders) {
            if (!Files.isDirectory(folder)) {
                throw new java.nio.file.NoSuchFileException(folder.toString(), null, "not a folder of images");
            }
            List<ListEntry> entries = ImageFiles.withImageExtension(folder).stream().map(ListEntry::unlabelled).toList();
            if (entries.isEmpty()) {
                throw new IllegalArgumentException(folder + ": no images (" + String.join(", ",
                        ImageFiles.EXTENSIONS.stream().sorted().toList()) + ") in this folder or below it");
            }
            Path name = folder.toAbsolutePath().normalize().getFileName();
            shards.add(new Shard(name == null ? "images" : name.toString(), new ListFile(folder, entries)));
        }
        Map<String, Path> seen = new LinkedHashMap<>();
        for (Shard shard : shards) {
            Path before = seen.put(shard.name(), shard.list().file());
            if (before != null) {
                throw new IllegalArgumentException("two inputs would write the same results '" + shard.name() + "': "
                        + before + " and " + shard.list().file() + "; rename one");
            }
        }
        return shards;
    }

    /**
     * Row N of a shard's results is line N of its list: a list with no entries, or with a blank line
     * before its last entry (which would shift every later row away from its line), is refused.
     */
    private static void checkRowsFollowLines(ListFile list) {
        List<ListEntry> entries = list.entries();
        if (entries.isEmpty()) {
            throw new IllegalArgumentException(list.file() + ": no images listed; nothing to score");
        }
        for (int row = 0; row < entries.size(); row++) {
            if (entries.get(row).line() != row + 1) {
                throw new IllegalArgumentException(list.file() + ":" + (row + 1) + ": blank line; results have one "
                        + "row per line of the list, so remove the blank lines (those at the end may stay)");
            }
        }
    }

    /** The list files named by {@code inputs}: files as given, folders' {@code *.txt} files in name order. */
    private static List<Path> listFiles(List<Path> inputs) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path input : inputs) {
            if (Files.isDirectory(input)) {
                try (var listing = Files.list(input)) {
                    List<Path> lists = listing.filter(p -> p.getFileName().toString().endsWith(".txt")
                            && Files.isRegularFile(p)).sorted().toList();
                    if (lists.isEmpty()) {
                        throw new IllegalArgumentException(input + ": no list files (*.txt) in this folder");
                    }
                    files.addAll(lists);
                }
            } else {
                files.add(input);
            }
        }
        return files;
    }

    /** Scores every unfinished shard into {@code out}. */
    public Summary run(List<Shard> shards, Path out, Listener listener) throws IOException, InterruptedException {
        return run(shards, out, listener, false);
    }

    /**
     * Scores every unfinished shard into {@code out}, which this run holds alone ({@link FolderLock}).
     * With {@code restart}, the results already in {@code out} for these shards (and its manifest) are
     * deleted first; without it, results from another model, list or top-k are refused, never continued.
     */
    public Summary run(List<Shard> shards, Path out, Listener listener, boolean restart)
            throws IOException, InterruptedException {
        try (FolderLock lock = FolderLock.acquire(out, "repvgg batch")) {
            if (restart) {
                discard(out, shards);
            }
            return runLocked(shards, out, listener);
        }
    }

    /** Deletes the manifest and the result files of {@code shards} and of every shard the manifest names. */
    private static void discard(Path out, List<Shard> shards) throws IOException {
        List<String> names = new ArrayList<>(shards.stream().map(Shard::name).toList());
        Path file = out.resolve(MANIFEST);
        if (Files.isRegularFile(file)) {
            try {
                Manifest before = GSON.fromJson(Files.readString(file), Manifest.class);
                if (before != null && before.shards() != null) {
                    before.shards().forEach(s -> names.add(s.name()));
                }
            } catch (JsonParseException e) {
                // unreadable: the current shards' files are still removed below
            }
        }
        for (String name : names) {
            for (String suffix : List.of(ShardResults.NPY, ShardResults.CSV, ShardResults.PART, ShardResults.PART_NPY)) {
                Files.deleteIfExists(out.resolve(name + suffix));
            }
        }
        Files.deleteIfExists(file);
    }

    private Summary runLocked(List<Shard> shards, Path out, Listener listener) throws IOException, InterruptedException {
        int topK = Math.min(options.topK(), classifier.numClasses());
        checkManifest(out, shards, topK);

        List<Shard> todo = new ArrayList<>();
        int skipped = 0;
        for (Shard shard : shards) {
            if (ShardResults.finished(out, shard.name())) {
                skipped++;
            } else {
                todo.add(shard);
            }
        }
        List<ShardResults> open = new ArrayList<>();
        long started = System.nanoTime();
        Writer writer = null;
        try {
            long resumed = 0;
            long total = 0;
            for (Shard shard : todo) {
                ShardResults results = ShardResults.open(out, shard.name(), shard.list().entries(),
                        classifier.classes(), topK);
                open.add(results);
                resumed += results.done();
                total += results.size() - results.done();
            }
            writer = new Writer(total, listener);
            score(open, writer);
            writer.finish();
            double seconds = (System.nanoTime() - started) / 1e9;
            return new Summary(todo.size(), skipped, writer.written, writer.errors, resumed, seconds);
        } finally {
            if (writer != null) {
                writer.stop();
            }
            IOException failure = null;
            for (ShardResults results : open) {
                try {
                    results.close();
                } catch (IOException e) {
                    failure = failure == null ? e : failure;
                }
            }
            if (failure != null) {
                throw failure;
            }
        }
    }

    /** The pipeline: a feeder submits decoding in list order, this thread batches and scores, the writer writes. */
    private void score(List<ShardResults> shards, Writer writer) throws IOException, InterruptedException {
        ImageTransform transform = ImageTransform.eval(classifier.preprocessing());
        int size = transform.size();
        int perImage = 3 * size * size;
        ExecutorService decoders = Executors.newFixedThreadPool(options.workers(), daemon("batch-decode"));
        // Room for the batch being filled, the next one, and one image per worker in flight.
        BlockingQueue<Pending> queue = new ArrayBlockingQueue<>(2 * options.batchSize() + options.workers());
        Pending end = new Pending(null, CompletableFuture.completedFuture(null));
        Thread feeder = daemon("batch-feed").newThread(() -> {
            try {
                for (ShardResults shard : shards) {
                    for (int row = shard.done(); row < shard.size(); row++) {
                        ListEntry entry = shard.entry(row);
                        queue.put(new Pending(shard, decoders.submit(() -> decode(entry, transform))));
                    }
                }
                queue.put(end);
            } catch (InterruptedException | java.util.concurrent.RejectedExecutionException e) {
                // The run is being stopped.
            }
        });
        feeder.start();
        try {
            List<Pending> batch = new ArrayList<>(options.batchSize());
            boolean more = true;
            while (more) {
                Pending next = queue.take();
                if (next == end) {
                    more = false;
                } else {
                    batch.add(next);
                }
                if (batch.size() == options.batchSize() || (!more && !batch.isEmpty())) {
                    writer.submit(scoreBatch(batch, perImage));
                    batch = new ArrayList<>(options.batchSize());
                }
            }
        } finally {
            feeder.interrupt();
            decoders.shutdownNow();
            feeder.join(TimeUnit.SECONDS.toMillis(10));
            decoders.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    private record ScoredBatch(List<ShardResults> shards, List<float[]> probabilities, List<String> errors) {}

    private ScoredBatch scoreBatch(List<Pending> batch, int perImage) throws InterruptedException {
        List<Decoded> decoded = new ArrayList<>(batch.size());
        int valid = 0;
        for (Pending p : batch) {
            Decoded d;
            try {
                d = p.decoded().get();
            } catch (ExecutionException e) {
                d = new Decoded(null, String.valueOf(e.getCause()));
            }
            decoded.add(d);
            valid += d.input() != null ? 1 : 0;
        }
        float[][] logits = new float[0][];
        if (valid > 0) {
            float[] nchw = new float[valid * perImage];
            int at = 0;
            for (Decoded d : decoded) {
                if (d.input() != null) {
                    System.arraycopy(d.input(), 0, nchw, at * perImage, perImage);
                    at++;
                }
            }
            logits = classifier.logits(nchw, valid);
        }
        List<ShardResults> shards = new ArrayList<>(batch.size());
        List<float[]> probabilities = new ArrayList<>(batch.size());
        List<String> errors = new ArrayList<>(batch.size());
        int at = 0;
        for (int i = 0; i < batch.size(); i++) {
            shards.add(batch.get(i).shard());
            Decoded d = decoded.get(i);
            probabilities.add(d.input() != null ? Scores.softmax(logits[at++]) : null);
            errors.add(d.error());
        }
        return new ScoredBatch(shards, probabilities, errors);
    }

    private static Decoded decode(ListEntry entry, ImageTransform transform) {
        try {
            return new Decoded(transform.apply(ImageDecoder.read(entry.path()), null), null);
        } catch (IOException e) {
            String message = e instanceof java.nio.file.NoSuchFileException ? entry.path() + ": file not found"
                    : e.getMessage();
            return new Decoded(null, message);
        } catch (RuntimeException | OutOfMemoryError e) {
            // A decoder bug or a bomb of an image: that file's row says so, the run goes on.
            return new Decoded(null, entry.path() + ": cannot decode image (" + e + ")");
        }
    }

    /** Writes scored batches in order on its own thread; at most two batches wait for it. */
    private static final class Writer {
        private final ExecutorService thread = Executors.newSingleThreadExecutor(daemon("batch-write"));
        private final Deque<Future<?>> pending = new ArrayDeque<>();
        private final long total;
        private final Listener listener;
        private long written;
        private long errors;

        Writer(long total, Listener listener) {
            this.total = total;
            this.listener = listener;
        }

        void submit(ScoredBatch batch) throws IOException, InterruptedException {
            while (pending.size() >= 2) {
                await(pending.removeFirst());
            }
            pending.addLast(thread.submit(() -> {
                write(batch);
                return null;
            }));
        }

        private void write(ScoredBatch batch) throws IOException {
            ShardResults last = null;
            for (int i = 0; i < batch.shards().size(); i++) {
                ShardResults shard = batch.shards().get(i);
                shard.append(batch.probabilities().get(i), batch.errors().get(i));
                written++;
                errors += batch.errors().get(i) != null ? 1 : 0;
                if (shard.complete()) {
                    shard.close(); // finished: marked as such now, not at the end of the run
                } else {
                    last = shard;
                }
            }
            if (last != null) {
                last.flush();
            }
            listener.progress(written, total, errors);
        }

        void finish() throws IOException, InterruptedException {
            while (!pending.isEmpty()) {
                await(pending.removeFirst());
            }
        }

        private static void await(Future<?> f) throws IOException, InterruptedException {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof IOException io) {
                    throw io;
                }
                throw new IllegalStateException("writing results failed: " + e.getCause(), e.getCause());
            }
        }

        /** Lets queued writes finish (rows already scored are kept), then ends the thread. */
        void stop() throws InterruptedException {
            thread.shutdown();
            thread.awaitTermination(1, TimeUnit.MINUTES);
        }
    }

    private void checkManifest(Path out, List<Shard> shards, int topK) throws IOException {
        Path file = out.resolve(MANIFEST);
        Map<String, ManifestShard> known = new LinkedHashMap<>();
        if (Files.isRegularFile(file)) {
            Manifest before;
            try {
                before = GSON.fromJson(Files.readString(file), Manifest.class);
            } catch (JsonParseException e) {
                throw new IOException(file + ": not a batch manifest (" + e.getMessage() + ")", e);
            }
            if (before == null || before.classes() == null || before.shards() == null) {
                throw new IOException(file + ": not a batch manifest");
            }
            if (!before.classes().equals(classifier.classes())) {
                throw new IllegalArgumentException(out + " holds results for classes " + before.classes()
                        + ", but " + classifier.source() + " has " + classifier.classes() + "; " + START_OVER);
            }
            if (before.top_k() != topK) {
                throw new IllegalArgumentException(out + " holds results with top-" + before.top_k()
                        + " columns; continue with --top-k " + before.top_k() + ", or " + START_OVER);
            }
            before.shards().forEach(s -> known.put(s.name(), s));
        }
        for (Shard shard : shards) {
            ManifestShard now = new ManifestShard(shard.name(), shard.list().file().toAbsolutePath().normalize().toString(),
                    shard.list().entries().size(), listDigest(shard.list()), fingerprint);
            ManifestShard was = known.get(shard.name());
            if (was != null && hasResults(out, shard.name())) {
                String where = out + ": results '" + shard.name() + "' were ";
                if (was.rows() != now.rows()) {
                    throw new IllegalArgumentException(where + "started from " + was.list() + " with " + was.rows()
                            + " entries, but " + shard.list().file() + " has " + now.rows() + "; " + START_OVER);
                }
                if (was.listSha256() != null && !was.listSha256().equals(now.listSha256())) {
                    throw new IllegalArgumentException(where + "started from another version of " + shard.list().file()
                            + " (SHA-256 " + Sha256.shortForm(was.listSha256()) + " then, "
                            + Sha256.shortForm(now.listSha256()) + " now); " + START_OVER);
                }
                String changed = was.model() == null ? "" : fingerprint.differences(was.model());
                if (!changed.isEmpty()) {
                    throw new IllegalArgumentException(where + "scored with another " + changed + "; " + START_OVER);
                }
            }
            known.put(shard.name(), now);
        }
        Manifest manifest = new Manifest(classifier.source(), classifier.classes(), topK, List.copyOf(known.values()));
        Path staging = out.resolve(MANIFEST + ".writing");
        Files.writeString(staging, GSON.toJson(manifest) + "\n", StandardCharsets.UTF_8);
        Files.move(staging, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static final String START_OVER = "rerun with --restart to discard these results and start over, "
            + "or use another --out";

    private static boolean hasResults(Path out, String shard) {
        return Stream.of(ShardResults.NPY, ShardResults.CSV, ShardResults.PART, ShardResults.PART_NPY)
                .anyMatch(suffix -> Files.exists(out.resolve(shard + suffix)));
    }

    /** The SHA-256 of a list file's content, or for a folder of images of its entries' paths in order. */
    private static String listDigest(ListFile list) throws IOException {
        if (Files.isRegularFile(list.file())) {
            return Sha256.of(list.file());
        }
        StringBuilder paths = new StringBuilder();
        list.entries().forEach(e -> paths.append(ShardResults.pathText(e)).append('\n'));
        return Sha256.of(paths.toString());
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
