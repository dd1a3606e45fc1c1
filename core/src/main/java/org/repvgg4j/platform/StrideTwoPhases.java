package org.repvgg4j.platform;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;

/**
 * Stride-2 convolutions (3x3 with padding 1, and 1x1) computed as stride-1 convolutions over the
 * input's four 2x2 phases (even/odd rows x even/odd columns).
 *
 * <p>A 3x3 kernel's output row {@code i} reads input rows {@code 2i-1, 2i, 2i+1}: row {@code 2i} is
 * the even phase's row {@code i}, rows {@code 2i-1} and {@code 2i+1} the odd phase's rows
 * {@code i-1} and {@code i}. So the even phase meets the kernel's middle row (a 1-row kernel) and
 * the odd phase its first and last rows (a 2-row kernel padded one row at the top); columns alike.
 * The four kernels have 1 + 2 + 2 + 4 = 9 taps, the multiply-adds of the direct convolution. A 1x1
 * kernel with stride 2 reads the even-even phase alone.
 *
 * <p>Why: training then never asks oneDNN for a strided convolution's input gradient. libtorch
 * 2.7.1's oneDNN computes some of those wrongly with its AVX-512 kernels on some CPUs (3x3, 48
 * channels), crashes on others (1x1, 512 to 2048 channels on a 4x4 map), and hands the rest back in
 * a channels-last layout that costs reorders upstream (docs/BENCHMARKS.md, "Wrong convolutions").
 * Each phase's input gradient is a stride-1 one, and autograd interleaves the four with one copy.
 * {@link TrainingConvolutions} decides which blocks train this way.
 */
public final class StrideTwoPhases {

    private StrideTwoPhases() {}

    /**
     * The four phases of an NCHW input, in the order even-even, even-odd, odd-even, odd-odd (row,
     * column), each {@code [n, c, ceil(h/2), ceil(w/2)]}. An odd size first gets the zero row or
     * column that a padded stride-2 convolution would read there.
     */
    public static NDList split(NDArray x) {
        Shape in = x.getShape();
        long oddRows = in.get(2) % 2;
        long oddColumns = in.get(3) % 2;
        NDArray even = oddRows + oddColumns == 0 ? x : x.pad(new Shape(0, oddColumns, 0, oddRows), 0);
        long rows = (in.get(2) + oddRows) / 2;
        long columns = (in.get(3) + oddColumns) / 2;
        // [n, c, rows, 2, columns, 2] -> [2 (row phase), 2 (column phase), n, c, rows, columns]: one copy.
        NDArray phases = even.reshape(in.get(0), in.get(1), rows, 2, columns, 2)
                .transpose(3, 5, 0, 1, 2, 4)
                .reshape(4, in.get(0), in.get(1), rows, columns);
        if (even != x) {
            even.close();
        }
        NDList parts = phases.split(4, 0);
        phases.close();
        NDList squeezed = new NDList(4);
        for (NDArray part : parts) {
            squeezed.add(part.squeeze(0));
            part.close();
        }
        return squeezed;
    }

    /** {@code conv2d(x, w, stride 2, padding k/2, groups)} for the phases of {@code x} and a 3x3 or 1x1 kernel. */
    public static NDArray convolve(NDList phases, NDArray w, int groups) {
        long kernel = w.getShape().get(2);
        if (kernel == 1 && w.getShape().get(3) == 1) {
            return convolve(phases.get(0), w, 0, 0, groups);
        }
        if (kernel != 3 || w.getShape().get(3) != 3) {
            throw new IllegalArgumentException("a 3x3 or 1x1 kernel is needed, got " + w.getShape());
        }
        Shape size = phases.get(0).getShape();
        NDList taps = taps(w);
        NDArray sum = null;
        for (int phase = 0; phase < 4; phase++) {
            boolean oddRow = phase >= 2;
            boolean oddColumn = phase % 2 == 1;
            NDArray convolved = convolve(phases.get(phase), taps.get(phase), oddRow ? 1 : 0, oddColumn ? 1 : 0, groups);
            // A 2-tap direction padded on both sides gives one extra output at the end: drop it.
            NDArray cropped = oddRow || oddColumn
                    ? convolved.get(":, :, :{}, :{}", size.get(2), size.get(3))
                    : convolved;
            if (cropped != convolved) {
                convolved.close();
            }
            if (sum == null) {
                sum = cropped;
            } else {
                NDArray next = sum.add(cropped);
                sum.close();
                cropped.close();
                sum = next;
            }
        }
        taps.close();
        return sum;
    }

    /**
     * A 3x3 kernel's taps per phase, in {@link #split}'s order: the middle tap (1x1), the middle
     * row's outer taps (1x2), the middle column's outer taps (2x1) and the corners (2x2). Made with
     * splits and concatenations, whose gradients are a concatenation and views, rather than strided
     * slices, whose gradients are each a zero-filled copy of the whole kernel.
     */
    static NDList taps(NDArray w) {
        NDList rows = w.split(3, 2);
        NDArray outerRows = rows.get(0).concat(rows.get(2), 2);
        NDList middle = columnTaps(rows.get(1));
        NDList outer = columnTaps(outerRows);
        rows.close();
        outerRows.close();
        return new NDList(middle.get(0), middle.get(1), outer.get(0), outer.get(1));
    }

    /** The middle column and the two outer columns of a kernel with 3 columns. */
    private static NDList columnTaps(NDArray kernel) {
        NDList columns = kernel.split(3, 3);
        NDList taps = new NDList(columns.get(1), columns.get(0).concat(columns.get(2), 3));
        columns.get(0).close();
        columns.get(2).close();
        return taps;
    }

    /** {@link #convolve(NDList, NDArray, int)} for an input that is not yet split. */
    public static NDArray convolve(NDArray x, NDArray w, int groups) {
        NDList phases = split(x);
        NDArray y = convolve(phases, w, groups);
        phases.close();
        return y;
    }

    private static NDArray convolve(NDArray x, NDArray w, int padRows, int padColumns, int groups) {
        return Conv2d.conv2d(x, w, null, new Shape(1, 1), new Shape(padRows, padColumns), new Shape(1, 1), groups)
                .singletonOrThrow();
    }
}
