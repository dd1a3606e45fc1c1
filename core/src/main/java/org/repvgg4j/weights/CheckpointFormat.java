package org.repvgg4j.weights;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HexFormat;

/** What kind of weights file this is, told from its first bytes rather than its name. */
public enum CheckpointFormat {
    /** {@code torch.save} in PyTorch 1.6 and later: a zip holding a pickle and raw storages. */
    TORCH_ZIP("PyTorch zip checkpoint"),
    /** A safetensors file: 8-byte header length, JSON header, raw tensors. */
    SAFETENSORS("safetensors");

    /** How {@code torch.save} before 1.6 starts: pickle protocol 2, then its magic number as a long. */
    private static final byte[] LEGACY_MAGIC = HexFormat.of().parseHex("80028a0a6cfc9c46f9206aa85019");

    private final String description;

    CheckpointFormat(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }

    /**
     * The format of {@code file}; an error saying what the file is instead, and what to do, when it
     * is not one we read.
     */
    public static CheckpointFormat sniff(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "weights file not found");
        }
        long size = Files.size(file);
        byte[] head = new byte[16];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        }
        if (n == 0) {
            throw new IOException(file + ": empty file, not a checkpoint");
        }
        if (n >= 4 && head[0] == 'P' && head[1] == 'K' && (head[2] == 3 || head[2] == 5) && (head[3] == 4 || head[3] == 6)) {
            return TORCH_ZIP;
        }
        if (startsWith(head, n, LEGACY_MAGIC)) {
            throw new IOException(file + ": saved in PyTorch's legacy format (before 1.6), which is not read here; "
                    + "re-save it with PyTorch 1.6 or later: torch.save(torch.load(f), 'new.pth') "
                    + "(or pass _use_new_zipfile_serialization=True)");
        }
        if (n >= 2 && (head[0] & 0xff) == 0x80 && head[1] >= 2 && head[1] <= 5) {
            throw new IOException(file + ": a bare Python pickle, not a torch.save zip; load it in Python and save "
                    + "the state dict with torch.save(state_dict, 'new.pth') (PyTorch 1.6 or later)");
        }
        if (n >= 9) {
            long headerLength = ByteBuffer.wrap(head, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (headerLength > 1 && headerLength <= size - 8 && head[8] == '{') {
                return SAFETENSORS;
            }
        }
        throw new IOException(file + ": not a PyTorch checkpoint (.pth zip) or a safetensors file (it starts with "
                + HexFormat.ofDelimiter(" ").formatHex(head, 0, Math.min(n, 8)) + ")");
    }

    private static boolean startsWith(byte[] head, int n, byte[] magic) {
        if (n < magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if (head[i] != magic[i]) {
                return false;
            }
        }
        return true;
    }
}
