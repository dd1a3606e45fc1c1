package org.repvgg4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * When a forming batch waits for more images: only for requests already on their way (being read and
 * decoded), never for ones that might come. The delay is set far beyond any test's run time, so a batch
 * that waits for it would show.
 */
class DynamicBatcherTest {

    private static final int FLOATS = 3 * 2 * 2;
    private static final long LONG_DELAY_MS = 60_000;

    /** Each image's logit is its first input value, so answers can be matched to images. */
    private static final DynamicBatcher.Forward ECHO = (nchw, count) -> {
        float[][] logits = new float[count][];
        for (int i = 0; i < count; i++) {
            logits[i] = new float[] {nchw[i * FLOATS]};
        }
        return logits;
    };

    private static float[] image(float value) {
        float[] input = new float[FLOATS];
        input[0] = value;
        return input;
    }

    private static long deadline() {
        return System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    }

    @Test
    void aLoneRequestRunsAtOnceInsteadOfWaitingOutTheDelay() throws Exception {
        try (DynamicBatcher batcher = new DynamicBatcher("m", ECHO, FLOATS, 32, LONG_DELAY_MS, 8, new ServeMetrics())) {
            DynamicBatcher.Job job;
            try (DynamicBatcher.Arrival arrival = batcher.arriving()) {
                job = batcher.submit(image(7), deadline());
            }
            DynamicBatcher.Outcome outcome = job.outcome.get(10, TimeUnit.SECONDS);
            assertThat(outcome.logits()).containsExactly(7f);
            assertThat(outcome.batchSize()).isEqualTo(1);
        }
    }

    @Test
    void aBatchWaitsForARequestStillBeingDecoded() throws Exception {
        try (DynamicBatcher batcher = new DynamicBatcher("m", ECHO, FLOATS, 32, LONG_DELAY_MS, 8, new ServeMetrics())) {
            DynamicBatcher.Arrival slow = batcher.arriving();
            DynamicBatcher.Job first;
            try (DynamicBatcher.Arrival fast = batcher.arriving()) {
                first = batcher.submit(image(1), deadline());
            }
            Thread.sleep(300); // the slow request is still decoding; the first must not run alone meanwhile
            assertThat(first.outcome).isNotDone();
            DynamicBatcher.Job second = batcher.submit(image(2), deadline());
            slow.close();
            assertThat(first.outcome.get(10, TimeUnit.SECONDS).batchSize()).isEqualTo(2);
            assertThat(second.outcome.get(10, TimeUnit.SECONDS).logits()).containsExactly(2f);
        }
    }

    @Test
    void aRequestThatFailsToDecodeReleasesTheBatchItWasAwaitedBy() throws Exception {
        try (DynamicBatcher batcher = new DynamicBatcher("m", ECHO, FLOATS, 32, LONG_DELAY_MS, 8, new ServeMetrics())) {
            DynamicBatcher.Arrival failing = batcher.arriving();
            DynamicBatcher.Job job = batcher.submit(image(3), deadline());
            Thread.sleep(100);
            assertThat(job.outcome).isNotDone();
            failing.close(); // as the handler's try-with-resources does when decoding throws
            failing.close(); // a second close counts once
            assertThat(job.outcome.get(10, TimeUnit.SECONDS).batchSize()).isEqualTo(1);
            DynamicBatcher.Job next = batcher.submit(image(4), deadline());
            assertThat(next.outcome.get(10, TimeUnit.SECONDS).logits()).containsExactly(4f);
        }
    }

    @Test
    void withTwoInstancesABatchRunsWhileTheOtherInstanceIsBusy() throws Exception {
        AtomicBoolean firstCall = new AtomicBoolean(true);
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // The first forward pass, whichever instance runs it, is held until released; later ones answer.
        DynamicBatcher.Forward firstHeld = (nchw, count) -> {
            if (firstCall.getAndSet(false)) {
                held.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return ECHO.logits(nchw, count);
        };
        try (DynamicBatcher batcher = new DynamicBatcher("m", List.of(firstHeld, firstHeld), FLOATS, 32, 0, 8,
                new ServeMetrics())) {
            DynamicBatcher.Job first = batcher.submit(image(5), deadline());
            assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();
            DynamicBatcher.Job second = batcher.submit(image(6), deadline());
            assertThat(second.outcome.get(10, TimeUnit.SECONDS).logits()).containsExactly(6f);
            assertThat(first.outcome).isNotDone();
            release.countDown();
            assertThat(first.outcome.get(10, TimeUnit.SECONDS).logits()).containsExactly(5f);
        }
    }
}
