package org.repvgg4j.bench;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.category.DefaultCategoryDataset;

/** Draws images/s per measurement as a bar chart PNG: one group per batch size, one bar per network, form and engine. */
public final class BenchChart {

    private BenchChart() {}

    public static void write(List<Measurement> results, Path png) throws IOException {
        if (results.isEmpty()) {
            throw new IllegalArgumentException("nothing to chart: no measurements");
        }
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (Measurement m : results) {
            data.addValue(m.imagesPerSecond(), m.model() + " " + m.form() + " (" + m.engine() + ")", "batch " + m.batch());
        }
        Measurement first = results.get(0);
        String title = String.format("images/s at %dx%d, %d thread%s", first.inputSize(), first.inputSize(),
                first.threads(), first.threads() == 1 ? "" : "s");
        JFreeChart chart = ChartFactory.createBarChart(title, null, "images/s", data, PlotOrientation.VERTICAL,
                true, false, false);
        chart.setBackgroundPaint(Color.WHITE);
        CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.GRAY);
        plot.getDomainAxis().setCategoryLabelPositions(CategoryLabelPositions.STANDARD);
        int width = Math.max(640, 140 * data.getColumnCount() * Math.max(1, data.getRowCount()) / 2);
        BufferedImage image = chart.createBufferedImage(Math.min(width, 1600), 480);
        Path absolute = png.toAbsolutePath();
        if (absolute.getParent() != null) {
            Files.createDirectories(absolute.getParent());
        }
        Path tmp = absolute.resolveSibling(absolute.getFileName() + ".tmp");
        ImageIO.write(image, "png", tmp.toFile());
        Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
