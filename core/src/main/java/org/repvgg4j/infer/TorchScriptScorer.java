package org.repvgg4j.infer;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A TorchScript classifier (a {@code torch.jit.save} file, as the Python pipeline's conversion step
 * writes for its C++ service) run on DJL's PyTorch engine: NCHW float input, [batch, classes] output.
 */
public final class TorchScriptScorer implements Scorer {

    private final Model model;
    private final Path file;

    private TorchScriptScorer(Model model, Path file) {
        this.model = model;
        this.file = file;
    }

    public static TorchScriptScorer open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "TorchScript model not found");
        }
        Model model = Model.newInstance(file.getFileName().toString(), Device.cpu(), "PyTorch");
        try (InputStream in = Files.newInputStream(file)) {
            model.load(in);
            return new TorchScriptScorer(model, file);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            throw new IOException(file + ": not a TorchScript model PyTorch can load (" + e.getMessage()
                    + "); a torch.save checkpoint goes through 'repvgg import' instead", e);
        }
    }

    @Override
    public float[][] logits(float[] nchw, int batch, int size) {
        JniUtils.setGradMode(false);
        try (NDManager scope = model.getNDManager().newSubManager()) {
            NDList out = model.getBlock().forward(new ParameterStore(scope, false),
                    new NDList(scope.create(nchw, new Shape(batch, 3, size, size))), false);
            if (out.size() != 1 || out.get(0).getShape().dimension() != 2 || out.get(0).getShape().get(0) != batch) {
                throw new IllegalStateException(file + ": expected one [batch, classes] output, got "
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
