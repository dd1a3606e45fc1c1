package org.repvgg4j.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Named tensors in PyTorch's state-dict sense, keyed by the official RepVGG names, with
 * safetensors reading and writing (DJL's codec).
 */
public final class StateDict {

    private final Map<String, NDArray> tensors;

    public StateDict() {
        this(new LinkedHashMap<>());
    }

    private StateDict(Map<String, NDArray> tensors) {
        this.tensors = tensors;
    }

    /** A state dict over existing arrays (no copy). */
    public static StateDict of(Map<String, NDArray> tensors) {
        return new StateDict(new LinkedHashMap<>(tensors));
    }

    public StateDict put(String key, NDArray array) {
        tensors.put(key, array);
        return this;
    }

    /** The tensor under {@code key}; an error naming the key if there is none. */
    public NDArray get(String key) {
        NDArray array = tensors.get(key);
        if (array == null) {
            throw new IllegalArgumentException("missing key '" + key + "'");
        }
        return array;
    }

    public boolean contains(String key) {
        return tensors.containsKey(key);
    }

    public Set<String> keys() {
        return Collections.unmodifiableSet(tensors.keySet());
    }

    public Map<String, NDArray> asMap() {
        return Collections.unmodifiableMap(tensors);
    }

    public int size() {
        return tensors.size();
    }

    /** Reads a safetensors file; tensor names become keys. */
    public static StateDict readSafetensors(Path file, NDManager manager) throws IOException {
        NDList list;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            list = NDList.decode(manager, in);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "weights file not found");
        } catch (IllegalArgumentException | IllegalStateException | ArithmeticException
                | com.google.gson.JsonParseException e) {
            throw new IOException(file + ": not a readable safetensors file (" + rootMessage(e) + ")", e);
        }
        StateDict dict = new StateDict();
        for (NDArray array : list) {
            if (array.getName() == null) {
                throw new IOException(file + ": not a safetensors file (tensors have no names)");
            }
            dict.put(array.getName(), array);
        }
        return dict;
    }

    /** Writes every tensor, in key order, to a safetensors file. */
    public void writeSafetensors(Path file) throws IOException {
        NDList list = new NDList(tensors.size());
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            // DJL's codec names each tensor by NDArray.getName().
            e.getValue().setName(e.getKey());
            list.add(e.getValue());
        }
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            list.encode(out, NDList.Encoding.SAFETENSORS);
        }
    }

    /** The shape of every tensor, in key order. */
    public Map<String, Shape> shapes() {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        tensors.forEach((k, v) -> shapes.put(k, v.getShape()));
        return shapes;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
