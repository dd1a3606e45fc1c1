package org.repvgg4j.bench;

/** One pass over a data set of {@code images} images in batches of {@code batch}, model only. */
public record DatasetPass(String model, String form, String engine, int batch, int threads, int inputSize,
        int images, double seconds) {

    public double imagesPerSecond() {
        return images / seconds;
    }

    /** Average wall time per image over the pass. */
    public double msPerImage() {
        return 1000 * seconds / images;
    }
}
