package org.repvgg4j.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The class file {@code annotations.txt}: one {@code <class name> <index>} per line, indices
 * {@code 0..N-1} each exactly once. A name may contain spaces (the index is the last field).
 */
public record ClassIndex(List<String> names) {

    public ClassIndex {
        names = List.copyOf(names);
        String duplicate = duplicateOf(names);
        if (duplicate != null) {
            throw new IllegalArgumentException(duplicate);
        }
    }

    /**
     * Why {@code names} cannot name classes, or null: two classes with one name would have their images
     * counted as each other's ("class 'cat' is both index 0 and index 3").
     */
    public static String duplicateOf(List<String> names) {
        java.util.Map<String, Integer> first = new java.util.HashMap<>();
        for (int i = 0; i < names.size(); i++) {
            Integer before = first.putIfAbsent(names.get(i), i);
            if (before != null) {
                return "class '" + names.get(i) + "' is both index " + before + " and index " + i
                        + "; class names must be unique";
            }
        }
        return null;
    }

    public int size() {
        return names.size();
    }

    public String name(int index) {
        return names.get(index);
    }

    /**
     * Where each class of this index (label 0, 1, ...) sits among {@code outputs}, a model's class
     * names: how labels numbered by this index are read against the model's outputs. A class the
     * model does not have is an error naming {@code file}, the class and its label.
     */
    public int[] positionsIn(List<String> outputs, Path file) {
        int[] positions = new int[names.size()];
        for (int label = 0; label < names.size(); label++) {
            positions[label] = outputs.indexOf(names.get(label));
            if (positions[label] < 0) {
                throw new IllegalArgumentException(file + ": class '" + names.get(label) + "' (label " + label
                        + ") is not one of the model's classes " + outputs);
            }
        }
        return positions;
    }

    /** Reads a class file; errors name the file and line. */
    public static ClassIndex read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "class file not found");
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        String[] byIndex = new String[lines.size()];
        java.util.Map<String, Integer> lineOfName = new java.util.HashMap<>();
        int count = 0;
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = file + ":" + (n + 1) + ": ";
            int space = line.lastIndexOf(' ') >= 0 ? line.lastIndexOf(' ') : line.lastIndexOf('\t');
            if (space < 0) {
                throw new IllegalArgumentException(where + "expected '<class name> <index>', got '" + line + "'");
            }
            String name = line.substring(0, space).strip();
            int index;
            try {
                index = Integer.parseInt(line.substring(space + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(where + "index '" + line.substring(space + 1) + "' is not a number");
            }
            if (index < 0 || index >= byIndex.length) {
                throw new IllegalArgumentException(where + "index " + index + " is out of range 0.." + (byIndex.length - 1));
            }
            if (byIndex[index] != null) {
                throw new IllegalArgumentException(where + "index " + index + " is already used by '" + byIndex[index] + "'");
            }
            Integer sameName = lineOfName.putIfAbsent(name, n + 1);
            if (sameName != null) {
                throw new IllegalArgumentException(where + "class '" + name + "' is already named on line " + sameName
                        + "; class names must be unique (two classes with one name are counted as one)");
            }
            byIndex[index] = name;
            count++;
        }
        if (count == 0) {
            throw new IllegalArgumentException(file + ": no classes");
        }
        List<String> names = new ArrayList<>(Arrays.asList(byIndex).subList(0, count));
        int gap = names.indexOf(null);
        if (gap >= 0) {
            throw new IllegalArgumentException(file + ": no class has index " + gap + " (indices must be 0.." + (count - 1) + ")");
        }
        return new ClassIndex(names);
    }

    /** Writes the class file in index order. */
    public void write(Path file) throws IOException {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < names.size(); i++) {
            text.append(names.get(i)).append(' ').append(i).append('\n');
        }
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }
}
