package org.repvgg4j.infer;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * An ONNX image classifier in ONNX Runtime (CPU): one float32 NCHW input, one [batch, classes]
 * output. Opens a session once and runs batches on it; close it to free the native session.
 */
public final class OnnxRuntimeRunner implements Scorer {

    private final OrtEnvironment env;
    private final OrtSession.SessionOptions options;
    private final OrtSession session;
    private final String source;
    private final String inputName;
    private final long[] inputShape;
    private final int intraOpThreads;

    /**
     * Native input buffers, reused from batch to batch. ONNX Runtime reads a direct buffer in place;
     * a Java array it first copies into a freshly allocated (and zeroed) direct buffer, which made
     * A0 at batch 32 take 1.16-1.18x as long (docs/BENCHMARKS.md). One per concurrent caller.
     */
    private final ConcurrentLinkedDeque<FloatBuffer> inputBuffers = new ConcurrentLinkedDeque<>();

    /**
     * The threads per operator when none are asked for: one per processor the JVM sees, as DJL's
     * PyTorch engine takes. Not ONNX Runtime's own default, which counts physical cores from the CPU
     * topology and chose one thread on our 2-vCPU build machine: A0 at batch 32 took 440 ms instead
     * of 220 ms, and `repvgg batch` scored 61 instead of 84 images/s (docs/BENCHMARKS.md).
     */
    public static int defaultThreads() {
        return Runtime.getRuntime().availableProcessors();
    }

    private OnnxRuntimeRunner(OrtSession.SessionOptions options, OrtSession session, String source,
            int intraOpThreads) throws OrtException {
        this.env = OrtEnvironment.getEnvironment();
        this.options = options;
        this.session = session;
        this.source = source;
        this.intraOpThreads = intraOpThreads;
        if (session.getNumInputs() != 1 || session.getNumOutputs() != 1) {
            throw new IllegalArgumentException(source + ": expected one input and one output, found "
                    + session.getNumInputs() + " inputs and " + session.getNumOutputs() + " outputs");
        }
        Map.Entry<String, NodeInfo> input = session.getInputInfo().entrySet().iterator().next();
        this.inputName = input.getKey();
        if (!(input.getValue().getInfo() instanceof TensorInfo tensor) || tensor.getShape().length != 4) {
            throw new IllegalArgumentException(source + ": input '" + inputName + "' is not an NCHW tensor ("
                    + input.getValue().getInfo() + ")");
        }
        this.inputShape = tensor.getShape();
    }

    /**
     * Opens an ONNX file. {@code intraOpThreads} is the number of threads one operator may use;
     * 0 means one per processor the JVM sees (see {@link #defaultThreads()}). ONNX Runtime's threads
     * spin between operators, which is fastest when nothing else needs the cores.
     */
    public static OnnxRuntimeRunner open(Path file, int intraOpThreads) throws IOException {
        return open(file, intraOpThreads, false);
    }

    /**
     * Opens an ONNX file, as {@link #open(Path, int)}. {@code sharesCores}: other threads of the
     * process work while the network runs (image decoding in {@code predict}, {@code eval} and
     * {@code batch}), so ONNX Runtime's threads sleep between operators instead of spinning on
     * cores the decoders need. `repvgg batch` scored 85-94 instead of 74-78 images/s that way
     * (docs/BENCHMARKS.md); the network alone is 4-7% slower at batch 1 and the same at batch 32.
     */
    public static OnnxRuntimeRunner open(Path file, int intraOpThreads, boolean sharesCores) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "ONNX model not found");
        }
        return open(file.toString(), intraOpThreads, sharesCores,
                (env, options) -> env.createSession(file.toString(), options));
    }

    /** Opens a model held in memory (the bytes of an ONNX file); the rest as for files. */
    public static OnnxRuntimeRunner open(byte[] model, int intraOpThreads) throws IOException {
        return open(model, intraOpThreads, false);
    }

    /** Opens a model held in memory (the bytes of an ONNX file); the rest as for files. */
    public static OnnxRuntimeRunner open(byte[] model, int intraOpThreads, boolean sharesCores) throws IOException {
        return open("ONNX model in memory", intraOpThreads, sharesCores,
                (env, options) -> env.createSession(model, options));
    }

    private interface SessionFactory {
        OrtSession create(OrtEnvironment env, OrtSession.SessionOptions options) throws OrtException;
    }

    private static OnnxRuntimeRunner open(String source, int intraOpThreads, boolean sharesCores,
            SessionFactory factory) throws IOException {
        if (intraOpThreads < 0) {
            throw new IllegalArgumentException("intra-op threads must be >= 0 (0: one per processor), got "
                    + intraOpThreads);
        }
        int threads = intraOpThreads == 0 ? defaultThreads() : intraOpThreads;
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session = null;
        try {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setIntraOpNumThreads(threads);
            if (sharesCores) {
                options.addConfigEntry("session.intra_op.allow_spinning", "0");
            }
            // One image network is one chain of operators: parallel operators would buy nothing.
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            session = factory.create(OrtEnvironment.getEnvironment(), options);
            OrtNativeCopies.removeLoaded();
            return new OnnxRuntimeRunner(options, session, source, threads);
        } catch (OrtException | RuntimeException e) {
            closeQuietly(session);
            options.close();
            if (e instanceof OrtException) {
                throw new IOException(source + ": ONNX Runtime cannot load the model (" + e.getMessage() + ")", e);
            }
            throw (RuntimeException) e;
        }
    }

    /** The input's shape as the model declares it; symbolic dimensions (the batch) are -1. */
    public long[] inputShape() {
        return inputShape.clone();
    }

    public String inputName() {
        return inputName;
    }

    /** The threads one operator may use. */
    public int intraOpThreads() {
        return intraOpThreads;
    }

    /** The model's {@code metadata_props}: class names, preprocessing, provenance for our exports. */
    public Map<String, String> metadata() {
        try {
            return Map.copyOf(session.getMetadata().getCustomMetadata());
        } catch (OrtException e) {
            throw new IllegalStateException(source + ": cannot read the model's metadata (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Logits for a batch: {@code nchw} holds {@code batch} images of the input's channels, height and
     * width, in that order; the result has one row per image.
     */
    public float[][] run(float[] nchw, int batch) {
        long[] shape = inputShape.clone();
        shape[0] = batch;
        long expected = batch;
        for (int i = 1; i < 4; i++) {
            if (shape[i] < 0) {
                throw new IllegalStateException(source + ": input '" + inputName + "' has a symbolic dimension "
                        + i + " " + Arrays.toString(inputShape) + "; only the batch may be symbolic");
            }
            expected *= shape[i];
        }
        if (nchw.length != expected) {
            throw new IllegalArgumentException("input has " + nchw.length + " values, but a batch of " + batch
                    + " at " + Arrays.toString(Arrays.copyOfRange(shape, 1, 4)) + " needs " + expected);
        }
        FloatBuffer input = takeInputBuffer(nchw.length);
        input.put(nchw).flip();
        try (OnnxTensor tensor = OnnxTensor.createTensor(env, input, shape);
                OrtSession.Result result = session.run(Map.of(inputName, tensor))) {
            Object value = result.get(0).getValue();
            if (!(value instanceof float[][] logits)) {
                throw new IllegalStateException(source + ": output is not a float32 [batch, classes] tensor");
            }
            return logits;
        } catch (OrtException e) {
            throw new IllegalStateException(source + ": ONNX Runtime failed to run the model (" + e.getMessage() + ")", e);
        } finally {
            inputBuffers.push(input);
        }
    }

    /** A cleared native buffer of at least {@code values} floats: a pooled one, or a new one. */
    private FloatBuffer takeInputBuffer(int values) {
        FloatBuffer buffer = inputBuffers.poll();
        if (buffer == null || buffer.capacity() < values) {
            // Too small (a larger batch than before): let it go, and keep the larger one from now on.
            buffer = ByteBuffer.allocateDirect(Math.multiplyExact(values, Float.BYTES))
                    .order(ByteOrder.nativeOrder()).asFloatBuffer();
        }
        buffer.clear().limit(values);
        return buffer;
    }

    @Override
    public float[][] logits(float[] nchw, int batch, int size) {
        if (inputShape[2] >= 0 && inputShape[2] != size) {
            throw new IllegalArgumentException(source + ": the model takes " + inputShape[2] + "x" + inputShape[3]
                    + " input, got " + size + "x" + size);
        }
        return run(nchw, batch);
    }

    @Override
    public String engine() {
        return Engine.ONNXRUNTIME.id();
    }

    @Override
    public void close() {
        inputBuffers.clear();
        closeQuietly(session);
        options.close();
    }

    private static void closeQuietly(OrtSession session) {
        if (session == null) {
            return;
        }
        try {
            session.close();
        } catch (OrtException e) {
            // Nothing to recover: the native session is gone either way.
        }
    }
}
