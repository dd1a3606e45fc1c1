package org.repvgg4j.infer;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import onnx.Onnx.ModelProto;
import onnx.Onnx.StringStringEntryProto;
import org.repvgg4j.export.OnnxExporter;
import org.repvgg4j.export.Precision;
import org.repvgg4j.model.RepVggSpec;

/**
 * What a file written by {@code repvgg export} says about itself without loading the network: an
 * ONNX file's {@code metadata_props} (read field by field, the graph skipped) or a TorchScript
 * archive's {@code extra/repvgg.json}.
 */
public record ExportedModel(Path file, String format, Precision precision, Map<String, String> metadata) {

    /** Reads {@code file} ({@code .onnx}, or {@code .pt} / {@code .ts} / {@code .torchscript}). */
    public static ExportedModel read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "model file not found");
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        Map<String, String> meta;
        String format;
        if (name.endsWith(".onnx")) {
            format = "ONNX";
            meta = onnxMetadata(file);
        } else if (name.endsWith(".pt") || name.endsWith(".ts") || name.endsWith(".torchscript")) {
            format = "TorchScript";
            meta = TorchScriptScorer.metadata(file).orElseThrow(() -> new IllegalArgumentException(file
                    + ": a TorchScript file without extra/repvgg.json (not written by 'repvgg export'); "
                    + "give --arch instead"));
        } else {
            throw new IllegalArgumentException(file + ": not a model directory, ONNX (.onnx) or TorchScript (.pt) file");
        }
        if (!meta.containsKey(OnnxExporter.META_ARCH)) {
            throw new IllegalArgumentException(file + ": its metadata has no '" + OnnxExporter.META_ARCH
                    + "' (not written by 'repvgg export'); give --arch instead");
        }
        String precision = meta.getOrDefault(OnnxExporter.META_PRECISION, Precision.FP32.id());
        return new ExportedModel(file, format, Precision.parse(precision), meta);
    }

    public RepVggSpec spec() {
        return RepVggSpec.parse(metadata.get(OnnxExporter.META_ARCH));
    }

    public int numClasses() {
        return Integer.parseInt(metadata.get(OnnxExporter.META_NUM_CLASSES));
    }

    public int inputSize() {
        return Integer.parseInt(metadata.get(OnnxExporter.META_INPUT_SIZE));
    }

    /** {@code metadata_props} of an ONNX file, without parsing its graph (hundreds of MB for B3). */
    private static Map<String, String> onnxMetadata(Path file) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        try (InputStream in = Files.newInputStream(file)) {
            CodedInputStream coded = CodedInputStream.newInstance(in);
            coded.setSizeLimit(Integer.MAX_VALUE);
            for (int tag = coded.readTag(); tag != 0; tag = coded.readTag()) {
                if (WireFormat.getTagFieldNumber(tag) == ModelProto.METADATA_PROPS_FIELD_NUMBER
                        && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    StringStringEntryProto entry = StringStringEntryProto.parseFrom(coded.readBytes());
                    meta.put(entry.getKey(), entry.getValue());
                } else {
                    coded.skipField(tag);
                }
            }
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IOException(file + ": not an ONNX model (" + e.getMessage() + ")", e);
        }
        return meta;
    }
}
