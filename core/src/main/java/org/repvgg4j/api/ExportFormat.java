package org.repvgg4j.api;

/**
 * The file formats {@link Deploy#export} writes, both of the deploy network in float32 with the class
 * names and preprocessing inside, so {@link RepVggModel#load} needs nothing else to run them.
 *
 * <pre>{@code
 * Path onnx = Deploy.export(Path.of("runs/flowers/deploy"), ExportFormat.ONNX, null);
 * }</pre>
 */
public enum ExportFormat {
    /** ONNX (opset 17), for ONNX Runtime and other ONNX engines; default file name {@code model.onnx}. */
    ONNX("model.onnx"),
    /** TorchScript, for libtorch (C++, Python's {@code torch.jit.load}, DJL); default file name {@code model.pt}. */
    TORCHSCRIPT("model.pt");

    private final String defaultFileName;

    ExportFormat(String defaultFileName) {
        this.defaultFileName = defaultFileName;
    }

    /** The file name {@link Deploy#export} writes in the model directory when no target is given. */
    public String defaultFileName() {
        return defaultFileName;
    }
}
