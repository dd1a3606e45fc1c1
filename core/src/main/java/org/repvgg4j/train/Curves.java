package org.repvgg4j.train;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** Draws a run's loss and accuracy per epoch, side by side, to a PNG. */
public final class Curves {

    private Curves() {}

    public static void write(List<EpochMetrics> rows, Path png) throws IOException {
        XYSeries trainLoss = new XYSeries("train loss");
        XYSeries valLoss = new XYSeries("val loss");
        XYSeries trainTop1 = new XYSeries("train top-1");
        XYSeries valTop1 = new XYSeries("val top-1");
        XYSeries valTop5 = new XYSeries("val top-5");
        for (EpochMetrics m : rows) {
            trainLoss.add(m.epoch(), m.trainLoss());
            valLoss.add(m.epoch(), m.valLoss());
            trainTop1.add(m.epoch(), m.trainTop1());
            valTop1.add(m.epoch(), m.valTop1());
            valTop5.add(m.epoch(), m.valTop5());
        }
        XYSeriesCollection losses = new XYSeriesCollection();
        losses.addSeries(trainLoss);
        losses.addSeries(valLoss);
        XYSeriesCollection accuracy = new XYSeriesCollection();
        accuracy.addSeries(trainTop1);
        accuracy.addSeries(valTop1);
        accuracy.addSeries(valTop5);
        JFreeChart left = ChartFactory.createXYLineChart("Loss", "epoch", "cross-entropy", losses,
                PlotOrientation.VERTICAL, true, false, false);
        JFreeChart right = ChartFactory.createXYLineChart("Accuracy", "epoch", "fraction", accuracy,
                PlotOrientation.VERTICAL, true, false, false);
        int w = 600;
        int h = 420;
        BufferedImage image = new BufferedImage(2 * w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 2 * w, h);
        left.draw(g, new java.awt.geom.Rectangle2D.Double(0, 0, w, h));
        right.draw(g, new java.awt.geom.Rectangle2D.Double(w, 0, w, h));
        g.dispose();
        Path tmp = png.resolveSibling(png.getFileName() + ".tmp");
        ImageIO.write(image, "png", tmp.toFile());
        java.nio.file.Files.move(tmp, png, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
