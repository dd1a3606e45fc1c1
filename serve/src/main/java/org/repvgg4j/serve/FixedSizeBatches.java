package org.repvgg4j.serve;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs every batch as pieces of a few fixed sizes (powers of two up to {@code maxBatch}, and
 * {@code maxBatch}), largest first: 23 images run as 16, 4, 2 and 1. For an engine that compiles the
 * network per batch size (oneDNN): a server's batches change size every pass, and compiling a plan
 * for each size that comes, or again after it was evicted, costs far more than a few more calls.
 * Splitting rather than padding to the next size spends no work on blank images.
 */
final class FixedSizeBatches implements DynamicBatcher.Forward {

    private final DynamicBatcher.Forward forward;
    private final int inputFloats;
    private final int[] sizes;

    FixedSizeBatches(DynamicBatcher.Forward forward, int inputFloats, int maxBatch) {
        this.forward = forward;
        this.inputFloats = inputFloats;
        this.sizes = sizes(maxBatch);
    }

    /** 1, 2, 4, ... below {@code maxBatch}, then {@code maxBatch}. */
    static int[] sizes(int maxBatch) {
        List<Integer> sizes = new ArrayList<>();
        for (int n = 1; n < maxBatch; n *= 2) {
            sizes.add(n);
        }
        sizes.add(maxBatch);
        return sizes.stream().mapToInt(Integer::intValue).toArray();
    }

    int[] sizes() {
        return sizes.clone();
    }

    @Override
    public float[][] logits(float[] nchw, int count) {
        float[][] out = new float[count][];
        int done = 0;
        while (done < count) {
            int size = largestAtMost(count - done);
            float[] piece = done == 0 && size == count ? nchw
                    : Arrays.copyOfRange(nchw, done * inputFloats, (done + size) * inputFloats);
            System.arraycopy(forward.logits(piece, size), 0, out, done, size);
            done += size;
        }
        return out;
    }

    /** Compiles (runs once) every size, so the first requests of each size do not pay for it. */
    void warmUp() {
        for (int size : sizes) {
            forward.logits(new float[size * inputFloats], size);
        }
    }

    private int largestAtMost(int count) {
        for (int i = sizes.length - 1; i >= 0; i--) {
            if (sizes[i] <= count) {
                return sizes[i];
            }
        }
        throw new IllegalArgumentException("a batch needs at least one image, got " + count);
    }
}
