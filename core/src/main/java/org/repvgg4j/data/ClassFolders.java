package org.repvgg4j.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The folder-per-class layout {@code <root>/<class>/...images}: every visible sub-folder of the root
 * is a class named after it, in sorted order (by code point, as Python's {@code sorted} and
 * torchvision's {@code ImageFolder} order them).
 */
public record ClassFolders(Path root, List<ClassFolder> classes, List<Path> looseFiles) {

    /** One class folder and what it holds. */
    public record ClassFolder(String name, Path folder, ImageFiles.Listing files) {
        public int images() {
            return files.images().size();
        }
    }

    public ClassFolders {
        classes = List.copyOf(classes);
        looseFiles = List.copyOf(looseFiles);
    }

    /** Scans {@code root}; a class folder whose name a class file cannot hold is an error naming it. */
    public static ClassFolders scan(Path root) throws IOException {
        if (!Files.exists(root)) {
            throw new NoSuchFileException(root.toString(), null, "folder not found");
        }
        if (!Files.isDirectory(root)) {
            throw new NotDirectoryException(root.toString());
        }
        List<Path> children;
        try (Stream<Path> list = Files.list(root)) {
            children = list.filter(p -> !ImageFiles.isHidden(p))
                    .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
                    .toList();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        List<ClassFolder> classes = new ArrayList<>();
        List<Path> loose = new ArrayList<>();
        for (Path child : children) {
            if (Files.isDirectory(child)) {
                String name = child.getFileName().toString();
                if (!ListFile.canHold(name)) {
                    throw new IllegalArgumentException(child + ": a class folder's name cannot have leading or trailing"
                            + " spaces or line breaks (annotations.txt could not hold it); rename the folder");
                }
                // A linked class folder is listed through its target so that the walk sees its files.
                Path folder = Files.isSymbolicLink(child) ? child.toRealPath() : child;
                classes.add(new ClassFolder(name, folder, ImageFiles.list(folder)));
            } else {
                loose.add(child);
            }
        }
        return new ClassFolders(root, classes, loose);
    }

    public List<String> names() {
        return classes.stream().map(ClassFolder::name).toList();
    }

    public Optional<ClassFolder> find(String name) {
        return classes.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    /** Files with an image extension that are not images, over all classes, in class order. */
    public List<ImageFiles.Unreadable> unreadable() {
        return classes.stream().flatMap(c -> c.files().unreadable().stream()).toList();
    }

    /** Files in class folders that are not images (by extension or content), in class order. */
    public List<Path> notImages() {
        return classes.stream().flatMap(c -> c.files().notImages().stream()).toList();
    }
}
