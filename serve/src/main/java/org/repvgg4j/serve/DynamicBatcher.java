package org.repvgg4j.serve;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One model's dynamic batching: preprocessed images from many request threads wait in a bounded queue,
 * and one thread runs them through the network together, up to {@code maxBatch} at a time. After the
 * first image it waits at most {@code maxDelay} for others to join, and only while requests for this
 * model are still being read and decoded ({@link #arriving}): with nothing on its way a lone request
 * runs at once instead of sitting out the delay. With several copies of the network ({@code --instances})
 * each has a worker, and batches run side by side. A full queue refuses at once (503), and an image
 * whose deadline passed while it waited is dropped, never scored late.
 */
final class DynamicBatcher implements AutoCloseable {

    /** The network's forward pass: logits for {@code count} images of 3 x size x size floats in {@code nchw}. */
    interface Forward {
        float[][] logits(float[] nchw, int count);
    }

    /** One image's answer and where its time went. */
    record Outcome(float[] logits, long queueNanos, long inferenceNanos, int batchSize) {}

    /** An image in the queue; the request thread waits on {@link #outcome}. */
    static final class Job {
        final float[] input;
        final long enqueuedNanos;
        final long deadlineNanos;
        final CompletableFuture<Outcome> outcome = new CompletableFuture<>();

        private Job(float[] input, long enqueuedNanos, long deadlineNanos) {
            this.input = input;
            this.enqueuedNanos = enqueuedNanos;
            this.deadlineNanos = deadlineNanos;
        }
    }

    private static final long WAIT_SLICE_NANOS = TimeUnit.MICROSECONDS.toNanos(200);

    private final String model;
    private final List<Forward> forwards;
    private final Object gathering = new Object();
    private final int maxBatch;
    private final long maxDelayNanos;
    private final int inputFloats;
    private final ArrayBlockingQueue<Job> queue;
    private final ServeMetrics metrics;
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean closing;
    private volatile long lastBatchNanos = 1_000_000;
    private final AtomicInteger preparing = new AtomicInteger();

    DynamicBatcher(String model, Forward forward, int inputFloats, int maxBatch, long maxDelayMs, int maxQueue,
            ServeMetrics metrics) {
        this(model, List.of(forward), inputFloats, maxBatch, maxDelayMs, maxQueue, metrics);
    }

    /** One worker thread per forward pass in {@code forwards}: copies of the network that run batches side by side. */
    DynamicBatcher(String model, List<Forward> forwards, int inputFloats, int maxBatch, long maxDelayMs, int maxQueue,
            ServeMetrics metrics) {
        if (forwards.isEmpty()) {
            throw new IllegalArgumentException("a batcher needs at least one forward pass");
        }
        this.model = model;
        this.forwards = List.copyOf(forwards);
        this.inputFloats = inputFloats;
        this.maxBatch = maxBatch;
        this.maxDelayNanos = TimeUnit.MILLISECONDS.toNanos(maxDelayMs);
        this.queue = new ArrayBlockingQueue<>(maxQueue);
        this.metrics = metrics;
        metrics.queueDepth(model, queue::size);
        for (int i = 0; i < this.forwards.size(); i++) {
            Forward forward = this.forwards.get(i);
            String threadName = "batcher-" + model + (i == 0 ? "" : "-" + i);
            Thread worker = new Thread(() -> run(forward), threadName);
            worker.setDaemon(true);
            workers.add(worker);
        }
        workers.forEach(Thread::start);
    }

    /**
     * A request for this model is being read and decoded: until the returned arrival is closed (once
     * its images are queued, or it failed), a forming batch waits for it, up to {@code maxDelay}.
     */
    Arrival arriving() {
        preparing.incrementAndGet();
        return new Arrival();
    }

    /** A request on its way to the queue; closing it more than once counts once. */
    final class Arrival implements AutoCloseable {
        private boolean closed;

        private Arrival() {}

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                preparing.decrementAndGet();
            }
        }
    }

    /** Queues one preprocessed image, or refuses at once with 503 + Retry-After when the queue is full. */
    Job submit(float[] input, long deadlineNanos) {
        if (input.length != inputFloats) {
            throw new IllegalArgumentException("expected " + inputFloats + " floats, got " + input.length);
        }
        if (closing) {
            throw ApiError.shuttingDown();
        }
        Job job = new Job(input, System.nanoTime(), deadlineNanos);
        if (!queue.offer(job)) {
            metrics.rejected(model, "queue_full");
            throw ApiError.queueFull(model, queue.remainingCapacity() + queue.size(), retryAfter());
        }
        return job;
    }

    /**
     * Waits for the job's answer until its deadline; then gives it up (the worker skips it) and answers
     * 504, so no caller gets a late answer.
     */
    Outcome await(Job job, long timeoutMs) {
        long left = job.deadlineNanos - System.nanoTime();
        try {
            return job.outcome.get(Math.max(0, left), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.CancellationException e) {
            throw ApiError.deadline(timeoutMs); // the worker found it past its deadline
        } catch (TimeoutException e) {
            if (job.outcome.cancel(false)) {
                metrics.rejected(model, "deadline");
            }
            throw ApiError.deadline(timeoutMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            job.outcome.cancel(false);
            throw ApiError.shuttingDown();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    int depth() {
        return queue.size();
    }

    /**
     * Seconds until a full queue has likely drained: queued batches times the last forward pass, shared
     * among the workers, at least 1.
     */
    private int retryAfter() {
        double batches = Math.ceil((double) queue.size() / maxBatch) + 1;
        return (int) Math.max(1, Math.ceil(batches * lastBatchNanos / forwards.size() / 1e9));
    }

    /**
     * A worker: gathers a batch, runs it, and again. One worker gathers at a time, so with several
     * copies of the network the next batch forms while the last one runs, rather than two half batches.
     */
    private void run(Forward forward) {
        List<Job> batch = new ArrayList<>(maxBatch);
        while (true) {
            try {
                synchronized (gathering) {
                    if (!gather(batch)) {
                        return;
                    }
                }
            } catch (InterruptedException e) {
                // Nobody interrupts this thread on purpose; score what was taken and go on.
            }
            score(forward, batch);
            batch.clear();
        }
    }

    /** Takes the next batch into {@code batch}; false once closing and the queue is empty. */
    private boolean gather(List<Job> batch) throws InterruptedException {
        Job first = null;
        while (first == null) {
            first = closing ? queue.poll() : queue.poll(100, TimeUnit.MILLISECONDS);
            if (first == null && closing) {
                return false;
            }
        }
        batch.add(first);
        long until = System.nanoTime() + maxDelayNanos;
        while (batch.size() < maxBatch) {
            Job next = queue.poll();
            if (next == null) {
                long left = until - System.nanoTime();
                if (left <= 0 || preparing.get() == 0) {
                    break;
                }
                // Short polls: a request still decoding may fail instead of arriving.
                next = queue.poll(Math.min(left, WAIT_SLICE_NANOS), TimeUnit.NANOSECONDS);
                if (next == null) {
                    continue;
                }
            }
            batch.add(next);
        }
        return true;
    }

    private void score(Forward forward, List<Job> taken) {
        long start = System.nanoTime();
        List<Job> live = new ArrayList<>(taken.size());
        for (Job job : taken) {
            if (job.outcome.isDone()) {
                continue; // its caller gave up at the deadline
            }
            if (start > job.deadlineNanos) {
                metrics.rejected(model, "deadline");
                job.outcome.cancel(false);
                continue;
            }
            live.add(job);
        }
        if (live.isEmpty()) {
            return;
        }
        float[] nchw = new float[live.size() * inputFloats];
        for (int i = 0; i < live.size(); i++) {
            System.arraycopy(live.get(i).input, 0, nchw, i * inputFloats, inputFloats);
        }
        float[][] logits;
        try {
            logits = forward.logits(nchw, live.size());
        } catch (RuntimeException | Error e) {
            live.forEach(job -> job.outcome.completeExceptionally(e));
            return;
        }
        long inference = System.nanoTime() - start;
        lastBatchNanos = inference;
        metrics.batch(model, live.size());
        for (int i = 0; i < live.size(); i++) {
            Job job = live.get(i);
            job.outcome.complete(new Outcome(logits[i], start - job.enqueuedNanos, inference, live.size()));
        }
    }

    /** Refuses new images, scores the ones already queued, and returns when the worker is done. */
    @Override
    public void close() {
        closing = true;
        try {
            for (Thread worker : workers) {
                worker.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
