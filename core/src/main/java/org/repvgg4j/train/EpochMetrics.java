package org.repvgg4j.train;

import java.util.Locale;

/** One row of {@code metrics.csv}: an epoch's training and validation numbers (accuracies as fractions). */
public record EpochMetrics(int epoch, double lr, double trainLoss, double trainTop1, double valLoss,
        double valTop1, double valTop5, double imagesPerSecond, double seconds) {

    public static final String HEADER = "epoch,lr,train_loss,train_top1,val_loss,val_top1,val_top5,images_per_s,seconds";

    public String toCsv() {
        return String.format(Locale.ROOT, "%d,%.6g,%.5f,%.5f,%.5f,%.5f,%.5f,%.2f,%.2f",
                epoch, lr, trainLoss, trainTop1, valLoss, valTop1, valTop5, imagesPerSecond, seconds);
    }

    public static EpochMetrics fromCsv(String line) {
        String[] f = line.split(",");
        if (f.length != 9) {
            throw new IllegalArgumentException("metrics row needs 9 fields: " + line);
        }
        return new EpochMetrics(Integer.parseInt(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]),
                Double.parseDouble(f[3]), Double.parseDouble(f[4]), Double.parseDouble(f[5]),
                Double.parseDouble(f[6]), Double.parseDouble(f[7]), Double.parseDouble(f[8]));
    }
}
