package org.repvgg4j.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import net.razorvine.pickle.PickleException;
import org.repvgg4j.weights.TorchUnpickler.StorageRef;
import org.repvgg4j.weights.TorchUnpickler.TensorRef;

/**
 * A {@code torch.save} file in the zip format of PyTorch 1.6 and later: {@code <name>/data.pkl}
 * (the pickled object) beside {@code <name>/data/<key>} (one file of raw little-endian bytes per
 * storage). Tensors are read on demand, so optimizer state in the same file costs nothing.
 */
final class TorchCheckpoint implements Closeable {

    private final Path file;
    private final ZipFile zip;
    private final String prefix;
    private final ByteOrder order;
    private final Object root;
    private final Map<String, ByteBuffer> storages = new HashMap<>();

    private TorchCheckpoint(Path file, ZipFile zip, String prefix, ByteOrder order, Object root) {
        this.file = file;
        this.zip = zip;
        this.prefix = prefix;
        this.order = order;
        this.root = root;
    }

    static TorchCheckpoint open(Path file) throws IOException {
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new IOException(file + ": truncated or damaged zip file (" + e.getMessage()
                    + "); download or copy the checkpoint again", e);
        }
        try {
            String prefix = archivePrefix(zip, file);
            ByteOrder order = ByteOrder.LITTLE_ENDIAN;
            ZipEntry byteorder = zip.getEntry(prefix + "byteorder");
            if (byteorder != null) {
                try (InputStream in = zip.getInputStream(byteorder)) {
                    if (new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip().equals("big")) {
                        order = ByteOrder.BIG_ENDIAN;
                    }
                }
            }
            Object root;
            try (InputStream in = zip.getInputStream(zip.getEntry(prefix + "data.pkl"))) {
                root = new TorchUnpickler().load(in);
            } catch (PickleException | ClassCastException | IllegalArgumentException | IllegalStateException
                    | IndexOutOfBoundsException e) {
                throw new IOException(file + ": cannot read the pickled checkpoint (" + e.getMessage() + ")", e);
            } catch (ZipException e) {
                throw new IOException(file + ": damaged zip file (" + e.getMessage() + ")", e);
            }
            return new TorchCheckpoint(file, zip, prefix, order, root);
        } catch (IOException | RuntimeException e) {
            zip.close();
            throw e;
        }
    }

    /** The folder every entry sits in ({@code archive/} or the saved file's stem). */
    private static String archivePrefix(ZipFile zip, Path file) throws IOException {
        String prefix = null;
        for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
            String name = e.nextElement().getName();
            int slash = name.indexOf('/');
            if (slash > 0 && name.substring(slash + 1).equals("data.pkl")) {
                prefix = name.substring(0, slash + 1);
                break;
            }
        }
        if (prefix == null) {
            throw new IOException(file + ": a zip file, but not a PyTorch checkpoint (no <name>/data.pkl inside)");
        }
        if (zip.getEntry(prefix + "constants.pkl") != null) {
            throw new IOException(file + ": a TorchScript archive (torch.jit.save), not a state dict; in Python, "
                    + "torch.save(model.state_dict(), 'weights.pth') and import that");
        }
        return prefix;
    }

    Object root() {
        return root;
    }

    /**
     * The tensor's values on {@code manager}: float types as float32, integer types as int64.
     * Views (offsets, non-contiguous strides) are gathered into a C-order array.
     */
    NDArray materialize(TensorRef tensor, String key, NDManager manager) throws IOException {
        StorageRef storage = tensor.storage();
        ByteBuffer bytes = storage(storage, key);
        long numel = tensor.numel();
        long[] shape = tensor.shape();
        long[] stride = tensor.stride();
        if (shape.length != stride.length) {
            throw new IOException(file + ": tensor '" + key + "' has " + shape.length + " sizes but "
                    + stride.length + " strides");
        }
        if (numel > 0) {
            long last = tensor.offset();
            for (int d = 0; d < shape.length; d++) {
                last += (shape[d] - 1) * stride[d];
            }
            if (tensor.offset() < 0 || last >= storage.numel()) {
                throw new IOException(file + ": tensor '" + key + "' " + tensor.shapeText()
                        + " reaches past the end of its storage (" + storage.numel() + " elements)");
            }
        }
        return toNDArray(bytes, storage.dtype(), tensor.offset(), shape, stride, manager);
    }

    /**
     * Elements of {@code bytes} (in its byte order) as an NDArray: float types as float32, integer
     * types as int64, gathered in C order through {@code stride} from {@code offset}.
     */
    static NDArray toNDArray(ByteBuffer bytes, TorchDtype dtype, long offset, long[] shape, long[] stride,
            NDManager manager) {
        long numel = 1;
        for (long d : shape) {
            numel *= d;
        }
        int n = Math.toIntExact(numel);
        Shape djlShape = new Shape(shape);
        if (dtype.isFloating()) {
            float[] values = new float[n];
            gather(shape, stride, offset, (i, at) -> values[i] = dtype.floatAt(bytes, at));
            return manager.create(values, djlShape);
        }
        long[] values = new long[n];
        gather(shape, stride, offset, (i, at) -> values[i] = dtype.longAt(bytes, at));
        return manager.create(values, djlShape);
    }

    /** Strides of a C-order (row-major, contiguous) array of {@code shape}. */
    static long[] contiguousStrides(long[] shape) {
        long[] stride = new long[shape.length];
        long step = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            stride[d] = step;
            step *= shape[d];
        }
        return stride;
    }

    private interface ElementSink {
        void put(int index, long storageIndex);
    }

    /** Visits every element in C order with its position in the storage. */
    private static void gather(long[] shape, long[] stride, long offset, ElementSink sink) {
        int rank = shape.length;
        long total = 1;
        for (long d : shape) {
            total *= d;
        }
        long[] index = new long[rank];
        long at = offset;
        for (int i = 0; i < total; i++) {
            sink.put(i, at);
            for (int d = rank - 1; d >= 0; d--) {
                index[d]++;
                at += stride[d];
                if (index[d] < shape[d]) {
                    break;
                }
                at -= index[d] * stride[d];
                index[d] = 0;
            }
        }
    }

    private ByteBuffer storage(StorageRef ref, String key) throws IOException {
        ByteBuffer cached = storages.get(ref.key());
        if (cached != null) {
            return cached;
        }
        ZipEntry entry = zip.getEntry(prefix + "data/" + ref.key());
        if (entry == null) {
            throw new IOException(file + ": storage '" + ref.key() + "' of tensor '" + key + "' is missing from the zip");
        }
        byte[] data;
        try (InputStream in = zip.getInputStream(entry)) {
            data = in.readAllBytes();
        } catch (ZipException e) {
            throw new IOException(file + ": damaged zip entry " + entry.getName() + " (" + e.getMessage() + ")", e);
        }
        long needed = ref.numel() * ref.dtype().size();
        if (data.length < needed) {
            throw new IOException(file + ": storage '" + ref.key() + "' of tensor '" + key + "' holds "
                    + data.length + " bytes, " + needed + " expected (truncated file?)");
        }
        ByteBuffer b = ByteBuffer.wrap(data).order(order);
        storages.put(ref.key(), b);
        return b;
    }

    @Override
    public void close() throws IOException {
        zip.close();
    }
}
