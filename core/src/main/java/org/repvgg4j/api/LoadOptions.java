package org.repvgg4j.api;

import java.nio.file.Path;

/**
 * How {@link RepVggModel#load(Path, LoadOptions)} opens a model and what its predictions hold. Start
 * from {@link #defaults()} and change what you need; the values mean what the {@code repvgg} command's
 * options of the same name mean.
 *
 * <pre>{@code
 * LoadOptions options = LoadOptions.defaults().withEngine("onnxruntime").withThreads(2).withTopK(3);
 * try (RepVggModel model = RepVggModel.load(Path.of("runs/flowers/deploy"), options)) { ... }
 * }</pre>
 *
 * @param engine {@code pytorch}, {@code onnxruntime} or {@code onednn}; null lets the library choose the
 *     fastest measured for this CPU and model (as {@code --engine} left out does)
 * @param threads threads per operator in the engine; 0 for one per processor
 * @param precision {@code fp32} (the default) or {@code bf16} (a model directory's deploy form in
 *     bfloat16 on libtorch)
 * @param classFile a class file ({@code annotations.txt}) naming a plain TorchScript file's outputs;
 *     null for models that name their own
 * @param imageSize a plain TorchScript file's input size; null for 224
 * @param topK how many classes each {@link Prediction} lists
 * @param rawScores whether each {@link Prediction} also carries the raw scores of every class
 * @param batchSize how many images a list is scored in at once
 */
public record LoadOptions(String engine, int threads, String precision, Path classFile, Integer imageSize, int topK,
        boolean rawScores, int batchSize) {

    public LoadOptions {
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be >= 0 (0: one per processor), got " + threads);
        }
        if (topK < 1) {
            throw new IllegalArgumentException("topK must be >= 1, got " + topK);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        if (precision == null) {
            precision = "fp32";
        }
    }

    /** The library's choice of engine, fp32, one thread per processor, top-5, no raw scores, batches of 32. */
    public static LoadOptions defaults() {
        return new LoadOptions(null, 0, "fp32", null, null, 5, false, 32);
    }

    public LoadOptions withEngine(String engine) {
        return new LoadOptions(engine, threads, precision, classFile, imageSize, topK, rawScores, batchSize);
    }

    public LoadOptions withThreads(int threads) {
        return new LoadOptions(engine, threads, precision, classFile, imageSize, topK, rawScores, batchSize);
    }

    public LoadOptions withPrecision(String precision) {
        return new LoadOptions(engine, threads, precision, classFile, imageSize, topK, rawScores, batchSize);
    }

    public LoadOptions withClassFile(Path classFile) {
        return new LoadOptions(engine, threads, precision, classFile, imageSize, topK, rawScores, batchSize);
    }

    public LoadOptions withImageSize(Integer imageSize) {
        return new LoadOptions(engine, threads, precision, classFile, imageSize, topK, rawScores, batchSize);
    }

    public LoadOptions withTopK(int topK) {
        return new LoadOptions(engine, threads, precision, classFile, imageSize, topK, rawScores, batchSize);
    }

    public LoadOptions withRawScores(boolean rawScores) {
        return new LoadOptions(engine, threads, precision, classFile, imageSize, topK, rawScores, batchSize);
    }

    public LoadOptions withBatchSize(int batchSize) {
        return new LoadOptions(engine, threads, precision, classFile, imageSize, topK, rawScores, batchSize);
    }
}
