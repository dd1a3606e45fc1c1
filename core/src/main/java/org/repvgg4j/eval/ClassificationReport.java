package org.repvgg4j.eval;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Per-class results of a classifier on labelled images: the confusion matrix (rows = true class,
 * columns = predicted), top-1 and top-5, and precision, recall, F1 and support per class with
 * their macro and support-weighted averages. A class never predicted has precision 0 (as
 * scikit-learn's {@code zero_division=0}).
 */
public final class ClassificationReport {

    /** One row of the per-class table. */
    public record ClassRow(String name, double precision, double recall, double f1, long support) {}

    private final List<String> classes;
    private final long[][] confusion;
    private long top5;
    private long count;

    public ClassificationReport(List<String> classes) {
        this.classes = List.copyOf(classes);
        this.confusion = new long[classes.size()][classes.size()];
    }

    /** Records one image: its true label and the network's scores (logits or probabilities). */
    public int add(int label, float[] scores) {
        int predicted = 0;
        int above = 0;
        for (int c = 0; c < scores.length; c++) {
            if (scores[c] > scores[predicted]) {
                predicted = c;
            }
            if (scores[c] > scores[label]) {
                above++;
            }
        }
        confusion[label][predicted]++;
        top5 += above < 5 ? 1 : 0;
        count++;
        return predicted;
    }

    public List<String> classes() {
        return classes;
    }

    public long count() {
        return count;
    }

    public long[][] confusion() {
        long[][] copy = new long[confusion.length][];
        for (int i = 0; i < confusion.length; i++) {
            copy[i] = confusion[i].clone();
        }
        return copy;
    }

    public double top1() {
        long hits = 0;
        for (int c = 0; c < confusion.length; c++) {
            hits += confusion[c][c];
        }
        return count == 0 ? Double.NaN : (double) hits / count;
    }

    public double top5() {
        return count == 0 ? Double.NaN : (double) top5 / count;
    }

    public List<ClassRow> rows() {
        List<ClassRow> rows = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            long tp = confusion[c][c];
            long support = 0;
            long predicted = 0;
            for (int k = 0; k < classes.size(); k++) {
                support += confusion[c][k];
                predicted += confusion[k][c];
            }
            double precision = predicted == 0 ? 0 : (double) tp / predicted;
            double recall = support == 0 ? 0 : (double) tp / support;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            rows.add(new ClassRow(classes.get(c), precision, recall, f1, support));
        }
        return rows;
    }

    /** Unweighted mean over classes. */
    public ClassRow macroAverage() {
        List<ClassRow> rows = rows();
        double p = 0;
        double r = 0;
        double f = 0;
        long s = 0;
        for (ClassRow row : rows) {
            p += row.precision();
            r += row.recall();
            f += row.f1();
            s += row.support();
        }
        int n = rows.size();
        return new ClassRow("macro avg", p / n, r / n, f / n, s);
    }

    /** Mean over classes weighted by support. */
    public ClassRow weightedAverage() {
        double p = 0;
        double r = 0;
        double f = 0;
        long s = 0;
        for (ClassRow row : rows()) {
            p += row.precision() * row.support();
            r += row.recall() * row.support();
            f += row.f1() * row.support();
            s += row.support();
        }
        return s == 0 ? new ClassRow("weighted avg", 0, 0, 0, 0)
                : new ClassRow("weighted avg", p / s, r / s, f / s, s);
    }

    public String toMarkdown() {
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "**top-1 %.4f, top-5 %.4f** on %d images%n%n", top1(), top5(), count));
        md.append("| class | precision | recall | F1 | support |\n|---|---:|---:|---:|---:|\n");
        List<ClassRow> all = new ArrayList<>(rows());
        all.add(macroAverage());
        all.add(weightedAverage());
        for (ClassRow row : all) {
            md.append(String.format(Locale.ROOT, "| %s | %.4f | %.4f | %.4f | %d |%n", row.name(), row.precision(),
                    row.recall(), row.f1(), row.support()));
        }
        return md.toString();
    }

    /** The confusion matrix as CSV: header {@code true\predicted,<classes...>}, one row per true class. */
    public String confusionCsv() {
        StringBuilder csv = new StringBuilder("true\\predicted");
        for (String c : classes) {
            csv.append(',').append(Csv.field(c));
        }
        csv.append('\n');
        for (int t = 0; t < classes.size(); t++) {
            csv.append(Csv.field(classes.get(t)));
            for (int p = 0; p < classes.size(); p++) {
                csv.append(',').append(confusion[t][p]);
            }
            csv.append('\n');
        }
        return csv.toString();
    }

    /** The confusion matrix as a heat map, each row shaded by its share of the true class. */
    public void writeHeatmap(Path png) throws IOException {
        int n = classes.size();
        int cell = Math.max(14, Math.min(48, 720 / Math.max(1, n)));
        int label = 140;
        int w = label + n * cell + 20;
        int h = label + n * cell + 20;
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, Math.max(9, Math.min(12, cell / 3))));
        for (int t = 0; t < n; t++) {
            long support = 0;
            for (int p = 0; p < n; p++) {
                support += confusion[t][p];
            }
            for (int p = 0; p < n; p++) {
                float share = support == 0 ? 0 : (float) confusion[t][p] / support;
                g.setColor(new Color(1 - share, 1 - 0.6f * share, 1f));
                g.fillRect(label + p * cell, label + t * cell, cell, cell);
                if (cell >= 24 && confusion[t][p] > 0) {
                    g.setColor(share > 0.5 ? Color.WHITE : Color.BLACK);
                    g.drawString(String.valueOf(confusion[t][p]), label + p * cell + 3, label + t * cell + cell / 2 + 4);
                }
            }
            g.setColor(Color.BLACK);
            g.drawString(shorten(classes.get(t)), 4, label + t * cell + cell / 2 + 4);
        }
        for (int p = 0; p < n; p++) {
            Graphics2D rotated = (Graphics2D) g.create();
            rotated.translate(label + p * cell + cell / 2 + 4, label - 4);
            rotated.rotate(-Math.PI / 2);
            rotated.drawString(shorten(classes.get(p)), 0, 0);
            rotated.dispose();
        }
        g.drawString("rows: true class, columns: predicted", 4, 14);
        g.dispose();
        ImageIO.write(image, "png", png.toFile());
    }

    private static String shorten(String name) {
        return name.length() <= 20 ? name : name.substring(0, 19) + "…";
    }
}
