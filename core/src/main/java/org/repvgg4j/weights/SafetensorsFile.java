package org.repvgg4j.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a safetensors file someone else wrote: any of its float types (F32, F16, BF16, F64) as
 * float32 and integer types as int64, one tensor at a time. (DJL's codec serves our own float32
 * model files; a bfloat16 file brings the engine down, so imports decode the bytes here.)
 */
final class SafetensorsFile {

    private SafetensorsFile() {}

    static Map<String, NDArray> read(Path file, NDManager manager) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            ByteBuffer lengthBytes = readFully(channel, 0, 8, file);
            long headerLength = lengthBytes.order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            if (headerLength < 2 || headerLength > size - 8 || headerLength > Integer.MAX_VALUE) {
                throw new IOException(file + ": not a safetensors file (header length " + headerLength + ")");
            }
            String headerText = StandardCharsets.UTF_8.decode(readFully(channel, 8, (int) headerLength, file)).toString();
            JsonObject header;
            try {
                header = JsonParser.parseString(headerText).getAsJsonObject();
            } catch (JsonParseException | IllegalStateException e) {
                throw new IOException(file + ": safetensors header is not a JSON object (" + e.getMessage() + ")", e);
            }
            long dataStart = 8 + headerLength;
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : header.entrySet()) {
                if (e.getKey().equals("__metadata__")) {
                    continue;
                }
                tensors.put(e.getKey(), tensor(channel, e.getKey(), e.getValue(), dataStart, size, file, manager));
            }
            return tensors;
        }
    }

    /**
     * Checks that the header's tensors all lie inside the file, without reading them: a file cut short
     * (a copy that stopped, a full disk) is an {@link IOException} naming it.
     */
    static void checkComplete(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < 8) {
                throw new IOException(file + ": truncated (" + size + " bytes); not a complete safetensors file");
            }
            long headerLength = readFully(channel, 0, 8, file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            if (headerLength < 2 || headerLength > size - 8 || headerLength > Integer.MAX_VALUE) {
                throw new IOException(file + ": truncated or not a safetensors file (header length " + headerLength
                        + " in a " + size + "-byte file)");
            }
            String headerText = StandardCharsets.UTF_8.decode(readFully(channel, 8, (int) headerLength, file)).toString();
            long end = 0;
            try {
                for (Map.Entry<String, JsonElement> e : JsonParser.parseString(headerText).getAsJsonObject().entrySet()) {
                    if (!e.getKey().equals("__metadata__")) {
                        end = Math.max(end, e.getValue().getAsJsonObject().getAsJsonArray("data_offsets").get(1).getAsLong());
                    }
                }
            } catch (RuntimeException e) {
                throw new IOException(file + ": safetensors header is damaged (" + e.getMessage() + ")", e);
            }
            if (8 + headerLength + end > size) {
                throw new IOException(file + ": truncated: its tensors end at byte " + (8 + headerLength + end)
                        + " of a " + size + "-byte file");
            }
        }
    }

    private static NDArray tensor(FileChannel channel, String name, JsonElement info, long dataStart, long fileSize,
            Path file, NDManager manager) throws IOException {
        TorchDtype dtype;
        long[] shape;
        long begin;
        long end;
        try {
            JsonObject o = info.getAsJsonObject();
            String dtypeName = o.get("dtype").getAsString();
            dtype = TorchDtype.ofSafetensors(dtypeName);
            if (dtype == null) {
                throw new IOException(file + ": tensor '" + name + "' has dtype " + dtypeName
                        + ", which is not supported (F32, F16, BF16, F64 and integer types are)");
            }
            JsonArray dims = o.getAsJsonArray("shape");
            shape = new long[dims.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = dims.get(i).getAsLong();
            }
            JsonArray offsets = o.getAsJsonArray("data_offsets");
            begin = offsets.get(0).getAsLong();
            end = offsets.get(1).getAsLong();
        } catch (RuntimeException e) {
            throw new IOException(file + ": malformed safetensors entry for '" + name + "' (" + e.getMessage() + ")", e);
        }
        long numel = 1;
        for (long d : shape) {
            numel *= d;
        }
        if (end - begin != numel * dtype.size() || begin < 0) {
            throw new IOException(file + ": tensor '" + name + "' has " + (end - begin) + " bytes for shape "
                    + java.util.Arrays.toString(shape) + " (" + numel * dtype.size() + " expected)");
        }
        if (dataStart + end > fileSize) {
            throw new IOException(file + ": truncated: tensor '" + name + "' ends at byte " + (dataStart + end)
                    + " of a " + fileSize + "-byte file");
        }
        ByteBuffer bytes = readFully(channel, dataStart + begin, Math.toIntExact(end - begin), file)
                .order(ByteOrder.LITTLE_ENDIAN);
        return TorchCheckpoint.toNDArray(bytes, dtype, 0, shape, TorchCheckpoint.contiguousStrides(shape), manager);
    }

    private static ByteBuffer readFully(FileChannel channel, long position, int length, Path file) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        while (b.hasRemaining()) {
            int n = channel.read(b, position + b.position());
            if (n < 0) {
                throw new IOException(file + ": truncated safetensors file");
            }
        }
        return b.flip();
    }
}
