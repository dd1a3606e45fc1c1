package org.repvgg4j.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Writes {@code annotations.txt}, {@code train.txt} and {@code val.txt} for a data set that is already
 * split into {@code <dataset>/train/<class>/} and {@code <dataset>/val/<class>/}. An existing
 * {@code annotations.txt} keeps its index order: classes it lacks are appended, classes without
 * images stay.
 */
public final class Annotator {

    /**
     * What annotate found and wrote. {@code classes} is every class of the class file in index order;
     * {@code appended} the classes new to an existing class file; {@code withoutImages} classes of the
     * existing class file with no images in either split; {@code emptyFolders} class folders with no
     * images that are not in the class file (they got no index).
     */
    public record Report(Path dataset, List<ClassCounts> classes, boolean classFileExisted, List<String> appended,
            List<String> withoutImages, List<String> emptyFolders, List<ImageFiles.Unreadable> unreadable,
            List<Path> notImages, List<Path> looseFiles, boolean hasVal) implements ClassCounts.Summary {

        public Report {
            classes = List.copyOf(classes);
            appended = List.copyOf(appended);
            withoutImages = List.copyOf(withoutImages);
            emptyFolders = List.copyOf(emptyFolders);
            unreadable = List.copyOf(unreadable);
            notImages = List.copyOf(notImages);
            looseFiles = List.copyOf(looseFiles);
        }

        /** Classes with val images but no training images: the network cannot learn them. */
        public List<String> valOnly() {
            return classes.stream().filter(c -> c.train() == 0 && c.val() > 0).map(ClassCounts::name).toList();
        }

        /** Classes with training images but none to validate on. */
        public List<String> trainOnly() {
            return hasVal ? classes.stream().filter(c -> c.train() > 0 && c.val() == 0).map(ClassCounts::name).toList()
                    : List.of();
        }

        /** Things the user should know about, one sentence each. */
        public List<String> warnings() {
            List<String> w = new ArrayList<>();
            Path classFile = dataset.resolve("annotations.txt");
            if (!appended.isEmpty()) {
                w.add("appended " + appended.size() + " new class" + (appended.size() == 1 ? "" : "es") + " to " + classFile
                        + " after its existing ones: " + String.join(", ", appended));
            }
            if (!withoutImages.isEmpty()) {
                w.add("kept " + withoutImages.size() + " class" + (withoutImages.size() == 1 ? "" : "es") + " of " + classFile
                        + " that have no images in train/ or val/: " + String.join(", ", withoutImages));
            }
            for (String name : valOnly()) {
                w.add("class '" + name + "' has val images but none in train/");
            }
            for (String name : trainOnly()) {
                w.add("class '" + name + "' has no val images");
            }
            for (String name : emptyFolders) {
                w.add("class folder '" + name + "' has no images; it was skipped and has no index");
            }
            if (!hasVal) {
                w.add(dataset.resolve("val") + " does not exist; val.txt was not written");
            }
            if (!unreadable.isEmpty()) {
                w.add(unreadable.size() + " unreadable file" + DatasetSplitter.plural(unreadable.size()) + " skipped"
                        + DatasetSplitter.example(unreadable));
            }
            if (!notImages.isEmpty()) {
                w.add(notImages.size() + (notImages.size() == 1 ? " file that is not an image" : " files that are not images")
                        + " skipped" + DatasetSplitter.example(notImages));
            }
            if (!looseFiles.isEmpty()) {
                w.add(looseFiles.size() + " file" + DatasetSplitter.plural(looseFiles.size())
                        + " directly in train/ or val/ (not in a class folder) ignored" + DatasetSplitter.example(looseFiles));
            }
            return w;
        }
    }

    private Annotator() {}

    /**
     * Scans {@code dataset/train} (required) and {@code dataset/val} (optional) and writes the class
     * file (only when it is new or gained classes) and the lists, paths relative to {@code dataset}.
     */
    public static Report annotate(Path dataset) throws IOException {
        Path trainRoot = dataset.resolve("train");
        Path valRoot = dataset.resolve("val");
        if (!Files.isDirectory(trainRoot)) {
            throw new NoSuchFileException(trainRoot.toString(), null,
                    "folder not found (annotate expects <dataset>/train/<class>/ and <dataset>/val/<class>/)");
        }
        ClassFolders train = ClassFolders.scan(trainRoot);
        boolean hasVal = Files.isDirectory(valRoot);
        ClassFolders val = hasVal ? ClassFolders.scan(valRoot) : new ClassFolders(valRoot, List.of(), List.of());

        Path classFile = dataset.resolve("annotations.txt");
        boolean existed = Files.exists(classFile);
        List<String> names = new ArrayList<>(existed ? ClassIndex.read(classFile).names() : List.of());
        TreeSet<String> withImages = new TreeSet<>();
        TreeSet<String> empty = new TreeSet<>();
        for (ClassFolders scan : List.of(train, val)) {
            for (ClassFolders.ClassFolder c : scan.classes()) {
                (c.images() > 0 ? withImages : empty).add(c.name());
            }
        }
        empty.removeAll(withImages);
        List<String> appended = new ArrayList<>();
        for (String name : withImages) {
            if (!names.contains(name)) {
                names.add(name);
                appended.add(name);
            }
        }
        List<String> withoutImages = names.stream().filter(n -> !withImages.contains(n)).toList();
        empty.removeAll(names);
        if (withImages.isEmpty()) {
            throw new IllegalArgumentException(dataset + ": no images in train/<class>/ or val/<class>/ folders (expected "
                    + trainRoot + "/<class>/<images>)");
        }

        List<ClassCounts> counts = new ArrayList<>();
        List<ListEntry> trainList = new ArrayList<>();
        List<ListEntry> valList = new ArrayList<>();
        for (int index = 0; index < names.size(); index++) {
            String name = names.get(index);
            List<Path> trainImages = images(train.find(name));
            List<Path> valImages = images(val.find(name));
            for (Path image : trainImages) {
                trainList.add(ListEntry.of(image, index));
            }
            for (Path image : valImages) {
                valList.add(ListEntry.of(image, index));
            }
            counts.add(new ClassCounts(name, index, trainImages.size(), valImages.size()));
        }
        if (!existed || !appended.isEmpty()) {
            new ClassIndex(names).write(classFile);
        }
        new ListFile(dataset.resolve("train.txt"), trainList).write();
        if (hasVal) {
            new ListFile(dataset.resolve("val.txt"), valList).write();
        }
        List<Path> loose = new ArrayList<>(train.looseFiles());
        loose.addAll(val.looseFiles());
        List<ImageFiles.Unreadable> unreadable = new ArrayList<>(train.unreadable());
        unreadable.addAll(val.unreadable());
        List<Path> notImages = new ArrayList<>(train.notImages());
        notImages.addAll(val.notImages());
        return new Report(dataset, counts, existed, existed ? appended : List.of(), withoutImages, List.copyOf(empty),
                unreadable, notImages, loose, hasVal);
    }

    private static List<Path> images(Optional<ClassFolders.ClassFolder> folder) {
        return folder.map(c -> c.files().images()).orElse(List.of());
    }
}
