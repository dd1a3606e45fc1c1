package org.repvgg4j.infer;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import com.google.gson.reflect.TypeToken;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.repvgg4j.export.TorchScriptExporter;

/**
 * A TorchScript classifier (a {@code torch.jit.save} file, as the Python pipeline's conversion step
 * writes for its C++ service) run on DJL's PyTorch engine: NCHW float input, [batch, classes] output.
 */
public final class TorchScriptScorer implements Scorer {

    private static final Gson GSON = new Gson();

    private final Model model;
    private final String source;

    private TorchScriptScorer(Model model, String source) {
        this.model = model;
        this.source = source;
    }

    public static TorchScriptScorer open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "TorchScript model not found");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return load(file.getFileName().toString(), in, file.toString());
        }
    }

    /** Opens a TorchScript archive held in memory ({@code name} labels it in messages). */
    public static TorchScriptScorer open(byte[] archive, String name) throws IOException {
        return load(name, new ByteArrayInputStream(archive), name);
    }

    private static TorchScriptScorer load(String name, InputStream in, String source) throws IOException {
        Model model = Model.newInstance(name, Device.cpu(), "PyTorch");
        try {
            model.load(in);
            return new TorchScriptScorer(model, source);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            throw new IOException(source + ": not a TorchScript model PyTorch can load (" + e.getMessage()
                    + "); a torch.save checkpoint goes through 'repvgg import' instead", e);
        }
    }

    /**
     * The class names and preprocessing a file written by {@code repvgg export --format torchscript}
     * carries ({@code extra/repvgg.json}, in the terms of the ONNX export's metadata); empty for
     * other TorchScript files.
     */
    public static Optional<Map<String, String>> metadata(Path file) throws IOException {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            String suffix = "/extra/" + TorchScriptExporter.METADATA;
            for (ZipEntry entry : Collections.list(zip.entries())) {
                if (entry.getName().endsWith(suffix)) {
                    try (InputStream in = zip.getInputStream(entry)) {
                        Map<String, String> meta = GSON.fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8),
                                new TypeToken<Map<String, String>>() { }.getType());
                        return Optional.ofNullable(meta);
                    } catch (JsonParseException e) {
                        throw new IOException(file + ": " + entry.getName() + " is not a JSON object of strings", e);
                    }
                }
            }
            return Optional.empty();
        } catch (ZipException e) {
            return Optional.empty(); // not an archive: loading it says what it is
        }
    }

    @Override
    public float[][] logits(float[] nchw, int batch, int size) {
        JniUtils.setGradMode(false);
        try (NDManager scope = model.getNDManager().newSubManager()) {
            NDList out = model.getBlock().forward(new ParameterStore(scope, false),
                    new NDList(scope.create(nchw, new Shape(batch, 3, size, size))), false);
            if (out.size() != 1 || out.get(0).getShape().dimension() != 2 || out.get(0).getShape().get(0) != batch) {
                throw new IllegalStateException(source + ": expected one [batch, classes] output, got "
                        + out.getShapes().length + " output(s) " + java.util.Arrays.toString(out.getShapes()));
            }
            return RepVggScorer.rows(out.get(0).toFloatArray(), batch);
        }
    }

    @Override
    public String engine() {
        return Engine.PYTORCH.id();
    }

    @Override
    public void close() {
        model.close();
    }
}
