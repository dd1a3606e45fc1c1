package org.repvgg4j.export;

import java.util.List;
import java.util.Locale;
import org.repvgg4j.infer.OnnxRuntimeRunner;
import org.repvgg4j.infer.Scores;

/**
 * How closely an int8 model follows its fp32 original on real images. Int8 cannot meet the 1e-4
 * equality of the fp32 exports, so the check is what matters to a classifier: the share of images
 * whose top class is the same, and the logits' largest difference relative to the largest fp32
 * logit and their correlation.
 */
public record Int8Agreement(int images, double top1Agreement, double maxRelativeDifference, double correlation) {

    /** Both models on {@code images} (CHW at the models' input size), {@code batch} at a time. */
    public static Int8Agreement measure(OnnxRuntimeRunner fp32, OnnxRuntimeRunner int8, List<float[]> images,
            int batch) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("the int8 check needs at least one image");
        }
        int length = images.get(0).length;
        int same = 0;
        double maxDiff = 0;
        double maxAbs = 0;
        double n = 0;
        double sa = 0;
        double sb = 0;
        double saa = 0;
        double sbb = 0;
        double sab = 0;
        for (int from = 0; from < images.size(); from += batch) {
            int count = Math.min(batch, images.size() - from);
            float[] nchw = new float[count * length];
            for (int i = 0; i < count; i++) {
                System.arraycopy(images.get(from + i), 0, nchw, i * length, length);
            }
            float[][] a = fp32.run(nchw, count);
            float[][] b = int8.run(nchw, count);
            for (int i = 0; i < count; i++) {
                if (Scores.argmax(a[i]) == Scores.argmax(b[i])) {
                    same++;
                }
                for (int c = 0; c < a[i].length; c++) {
                    double x = a[i][c];
                    double y = b[i][c];
                    maxDiff = Math.max(maxDiff, Math.abs(x - y));
                    maxAbs = Math.max(maxAbs, Math.abs(x));
                    n++;
                    sa += x;
                    sb += y;
                    saa += x * x;
                    sbb += y * y;
                    sab += x * y;
                }
            }
        }
        double cov = sab / n - (sa / n) * (sb / n);
        double va = saa / n - (sa / n) * (sa / n);
        double vb = sbb / n - (sb / n) * (sb / n);
        double correlation = va > 0 && vb > 0 ? cov / Math.sqrt(va * vb) : Double.NaN;
        return new Int8Agreement(images.size(), (double) same / images.size(),
                maxAbs > 0 ? maxDiff / maxAbs : maxDiff, correlation);
    }

    /** One line for the command line. */
    public String describe() {
        return String.format(Locale.ROOT,
                "int8 vs fp32 on %d images: top-1 agreement %.2f%%, max |int8 - fp32| / max |fp32| = %.3g, "
                        + "logit correlation %.4f", images, 100 * top1Agreement, maxRelativeDifference, correlation);
    }
}
