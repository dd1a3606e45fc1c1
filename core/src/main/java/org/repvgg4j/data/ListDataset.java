package org.repvgg4j.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.translate.Batchifier;
import ai.djl.util.Progress;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A DJL {@link Dataset} over labelled image files (from list files), decoded and transformed on
 * worker threads a few batches ahead of the consumer. Shuffling and augmentation are seeded by
 * (seed, epoch, sample), so an epoch is the same whichever thread decodes what, and the same after
 * a resume; optionally the order is drawn class-balanced ({@link Options}). An image that cannot be read is skipped, counted and remembered, never fatal.
 */
public final class ListDataset implements Dataset, AutoCloseable {

    /**
     * How batches are drawn: size, order, whether a short final batch is kept, and the seed.
     * {@code balanced} (with {@code shuffle}) draws each pass's images class by class instead of
     * permuting them: every draw picks a class uniformly, then one of its images, so that rare
     * classes are seen as often as common ones (PyTorch's WeightedRandomSampler with weights 1 / class
     * size, with replacement); a pass still has as many images as the list.
     */
    public record Options(int batchSize, boolean shuffle, boolean dropLast, long seed, int workers, int prefetchBatches,
            boolean balanced) {
        public Options {
            if (batchSize < 1 || workers < 1 || prefetchBatches < 1) {
                throw new IllegalArgumentException("batch size, workers and prefetch must be >= 1");
            }
            if (balanced && !shuffle) {
                throw new IllegalArgumentException("class-balanced drawing is a way of shuffling; it needs shuffle");
            }
        }

        public Options(int batchSize, boolean shuffle, boolean dropLast, long seed, int workers, int prefetchBatches) {
            this(batchSize, shuffle, dropLast, seed, workers, prefetchBatches, false);
        }
    }

    private static final int MAX_REMEMBERED_PROBLEMS = 100;

    private final List<Sample> samples;
    private final ImageTransform transform;
    private final Options options;
    private final ExecutorService workers;
    private final AtomicInteger skipped = new AtomicInteger();
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    private volatile int epoch;

    public ListDataset(List<Sample> samples, ImageTransform transform, Options options) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("no images to load");
        }
        this.samples = List.copyOf(samples);
        this.transform = transform;
        this.options = options;
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(options.workers(), r -> {
            Thread t = new Thread(r, "image-decoder-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    public int size() {
        return samples.size();
    }

    /** Batches one pass yields (a short final batch counts unless dropped). */
    public int batchesPerEpoch() {
        int full = samples.size() / options.batchSize();
        return options.dropLast() || samples.size() % options.batchSize() == 0 ? full : full + 1;
    }

    /** Selects the shuffle order and augmentation of the next pass. */
    public void setEpoch(int epoch) {
        this.epoch = epoch;
    }

    /** Images skipped so far because they could not be read. */
    public int skippedImages() {
        return skipped.get();
    }

    /** The first problems met ({@code path: reason}), oldest first. */
    public List<String> problems() {
        synchronized (problems) {
            return List.copyOf(problems);
        }
    }

    @Override
    public void prepare(Progress progress) {
        // Nothing to download or index: the list files already say everything.
    }

    @Override
    public Iterable<Batch> getData(NDManager manager) {
        int pass = epoch;
        return () -> new BatchIterator(manager, pass);
    }

    @Override
    public void close() {
        workers.shutdownNow();
    }

    /** One decoded, transformed sample, or why it could not be. */
    private record Loaded(int index, float[] input, String problem) {}

    /**
     * Decodes and transforms sample {@code index}; {@code draw} seeds its augmentation: the index
     * itself, or with class-balanced drawing, which may draw an image twice in a pass, its position.
     */
    private Loaded load(int index, int pass, int draw) {
        Sample s = samples.get(index);
        try {
            RgbImage image = ImageDecoder.read(s.path());
            Random random = new Random(mix(options.seed(), pass, draw));
            return new Loaded(index, transform.apply(image, random), null);
        } catch (Exception e) {
            String message = e.getMessage() != null && e.getMessage().contains(s.path().toString())
                    ? e.getMessage() : s.path() + ": " + e.getMessage();
            return new Loaded(index, null, message);
        }
    }

    private static long mix(long seed, int pass, int index) {
        long z = seed * 0x9E3779B97F4A7C15L + pass * 0xBF58476D1CE4E5B9L + index * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private final class BatchIterator implements Iterator<Batch> {
        private final NDManager manager;
        private final int pass;
        private final int[] order;
        private final int batches;
        private final Deque<List<Future<Loaded>>> pending = new ArrayDeque<>();
        private int submitted;
        private int delivered;
        private Batch next;

        BatchIterator(NDManager manager, int pass) {
            this.manager = manager;
            this.pass = pass;
            this.order = new int[samples.size()];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            if (options.balanced()) {
                drawBalanced(new Random(mix(options.seed(), pass, -2)));
            } else if (options.shuffle()) {
                Random random = new Random(mix(options.seed(), pass, -1));
                for (int i = order.length - 1; i > 0; i--) {
                    int j = random.nextInt(i + 1);
                    int t = order[i];
                    order[i] = order[j];
                    order[j] = t;
                }
            }
            this.batches = batchesPerEpoch();
            while (submitted < batches && pending.size() < options.prefetchBatches()) {
                submitNext();
            }
        }

        /** Fills the order with draws of a uniform class, then a uniform image of it. */
        private void drawBalanced(Random random) {
            java.util.Map<Integer, List<Integer>> byClass = new java.util.TreeMap<>();
            for (int i = 0; i < samples.size(); i++) {
                byClass.computeIfAbsent(samples.get(i).label(), k -> new ArrayList<>()).add(i);
            }
            List<List<Integer>> classes = new ArrayList<>(byClass.values());
            for (int i = 0; i < order.length; i++) {
                List<Integer> members = classes.get(random.nextInt(classes.size()));
                order[i] = members.get(random.nextInt(members.size()));
            }
        }

        private void submitNext() {
            int from = submitted * options.batchSize();
            int to = Math.min(order.length, from + options.batchSize());
            List<Future<Loaded>> futures = new ArrayList<>(to - from);
            for (int i = from; i < to; i++) {
                int index = order[i];
                int draw = options.balanced() ? i : index;
                futures.add(workers.submit(() -> load(index, pass, draw)));
            }
            pending.add(futures);
            submitted++;
        }

        @Override
        public boolean hasNext() {
            while (next == null && !pending.isEmpty()) {
                next = assemble(pending.poll());
                if (submitted < batches) {
                    submitNext();
                }
            }
            return next != null;
        }

        @Override
        public Batch next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Batch b = next;
            next = null;
            return b;
        }

        /** Waits for one batch of samples; null if too few could be read to make a batch. */
        private Batch assemble(List<Future<Loaded>> futures) {
            List<Loaded> ok = new ArrayList<>(futures.size());
            for (Future<Loaded> f : futures) {
                Loaded loaded;
                try {
                    loaded = f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while loading images", e);
                } catch (ExecutionException e) {
                    throw new IllegalStateException("image loading failed", e.getCause());
                }
                if (loaded.problem() != null) {
                    skipped.incrementAndGet();
                    if (problems.size() < MAX_REMEMBERED_PROBLEMS) {
                        problems.add(loaded.problem());
                    }
                } else {
                    ok.add(loaded);
                }
            }
            delivered++;
            // Training-mode batch norm needs two values per channel after the last stride.
            int minimum = options.dropLast() ? 2 : 1;
            if (ok.size() < minimum) {
                return null;
            }
            int size = transform.size();
            int per = 3 * size * size;
            FloatBuffer data = FloatBuffer.allocate(ok.size() * per);
            int[] labels = new int[ok.size()];
            List<Integer> indices = new ArrayList<>(ok.size());
            for (int i = 0; i < ok.size(); i++) {
                data.put(ok.get(i).input());
                labels[i] = samples.get(ok.get(i).index()).label();
                indices.add(ok.get(i).index());
            }
            data.flip();
            NDManager batchManager = manager.newSubManager();
            NDArray x = batchManager.create(data, new Shape(ok.size(), 3, size, size));
            NDArray y = batchManager.create(labels);
            return new Batch(batchManager, new NDList(x), new NDList(y), ok.size(),
                    Batchifier.STACK, Batchifier.STACK, delivered, batches, indices);
        }
    }
}
