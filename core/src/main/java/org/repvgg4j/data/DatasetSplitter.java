package org.repvgg4j.data;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.repvgg4j.io.FolderLock;

/**
 * Splits a folder-per-class image set into {@code <out>/train/<class>/} and {@code <out>/val/<class>/},
 * per class (stratified) and deterministically for a seed, and writes {@code annotations.txt},
 * {@code train.txt} and {@code val.txt} beside them.
 */
public final class DatasetSplitter {

    /** How the images were placed in the output: copies, or links with the reasons linking fell back. */
    public record Placement(int copies, int hardLinks, int symbolicLinks, String hardLinkFailure, String symbolicLinkFailure) {}

    /**
     * What a split did. {@code classes} holds the classes that got an index (those with images);
     * {@code emptyClasses} the class folders without images, which got none.
     */
    public record Report(Path input, Path out, List<ClassCounts> classes, List<String> emptyClasses,
            List<ImageFiles.Unreadable> unreadable, List<Path> notImages, List<Path> looseFiles,
            Placement placement, boolean inputLooksSplit) implements ClassCounts.Summary {

        public Report {
            classes = List.copyOf(classes);
            emptyClasses = List.copyOf(emptyClasses);
            unreadable = List.copyOf(unreadable);
            notImages = List.copyOf(notImages);
            looseFiles = List.copyOf(looseFiles);
        }

        /** Things the user should know about, one sentence each. */
        public List<String> warnings() {
            List<String> w = new ArrayList<>();
            if (inputLooksSplit) {
                w.add(input + " has train/ and val/ folders and they were taken as classes;"
                        + " for a set that is already split use 'repvgg annotate --dataset " + input + "'");
            }
            if (classes.size() == 1) {
                w.add("only 1 class ('" + classes.get(0).name() + "') has images; a classifier needs 2 or more"
                        + " (is the input one folder above the class folders?)");
            }
            for (String name : emptyClasses) {
                w.add("class folder '" + name + "' has no images; it was skipped and has no index");
            }
            for (ClassCounts c : classes) {
                if (c.total() == 1) {
                    w.add("class '" + c.name() + "' has only 1 image; it went to train and val has none of this class");
                }
            }
            if (!unreadable.isEmpty()) {
                w.add(unreadable.size() + " unreadable file" + plural(unreadable.size()) + " skipped" + example(unreadable));
            }
            if (!notImages.isEmpty()) {
                w.add(notImages.size() + (notImages.size() == 1 ? " file that is not an image" : " files that are not images")
                        + " skipped" + example(notImages));
            }
            if (!looseFiles.isEmpty()) {
                w.add(looseFiles.size() + " file" + plural(looseFiles.size()) + " directly in " + input
                        + " (not in a class folder) ignored" + example(looseFiles));
            }
            if (placement.hardLinkFailure() != null) {
                w.add("hard links failed (" + placement.hardLinkFailure() + "); fell back to "
                        + (placement.symbolicLinkFailure() == null ? "symbolic links"
                                : "copies (symbolic links failed too: " + placement.symbolicLinkFailure() + ")"));
            }
            return w;
        }
    }

    private DatasetSplitter() {}

    /**
     * Splits {@code input/<class>/...} into {@code out}. Per class, the images are sorted by path,
     * shuffled with a generator seeded by {@code seed} and the class name (so a class's split does not
     * depend on the file system's order or on the other classes), and the first
     * {@link #valCount round(n * valRatio)} go to val. With {@code link} the images are hard-linked,
     * or symbolically linked when that fails, or copied when both fail. {@code out} must not exist
     * or be empty: a split never deletes or overwrites a file.
     */
    public static Report split(Path input, Path out, double valRatio, long seed, boolean link) throws IOException {
        if (!(valRatio > 0 && valRatio < 1)) {
            throw new IllegalArgumentException("the val ratio must be between 0 and 1 (exclusive), got " + valRatio);
        }
        ClassFolders folders = ClassFolders.scan(input);
        checkOut(input, out);
        List<ClassFolders.ClassFolder> nonEmpty = folders.classes().stream().filter(c -> c.images() > 0).toList();
        if (nonEmpty.isEmpty()) {
            throw new IllegalArgumentException(input + ": no class folders with images (expected "
                    + input + "/<class>/<images>, e.g. " + input + "/cat/1.jpg)");
        }
        try (FolderLock lock = FolderLock.acquire(out, "repvgg split")) {
            // Again under the lock: another split may have filled the folder since the first look.
            checkOut(input, out);
            return splitLocked(input, out, valRatio, seed, link, folders, nonEmpty);
        }
    }

    private static Report splitLocked(Path input, Path out, double valRatio, long seed, boolean link, ClassFolders folders,
            List<ClassFolders.ClassFolder> nonEmpty) throws IOException {

        Placer placer = new Placer(link);
        List<ClassCounts> counts = new ArrayList<>();
        List<ListEntry> trainList = new ArrayList<>();
        List<ListEntry> valList = new ArrayList<>();
        for (int index = 0; index < nonEmpty.size(); index++) {
            ClassFolders.ClassFolder c = nonEmpty.get(index);
            List<Path> shuffled = new ArrayList<>(c.files().images());
            Collections.shuffle(shuffled, new Random(classSeed(seed, c.name())));
            int nVal = valCount(shuffled.size(), valRatio);
            List<Path> val = sortedLike(c.files().images(), shuffled.subList(0, nVal));
            List<Path> train = sortedLike(c.files().images(), shuffled.subList(nVal, shuffled.size()));
            for (Path image : train) {
                trainList.add(ListEntry.of(placer.place(image, out.resolve("train").resolve(c.name()), c.folder()), index));
            }
            for (Path image : val) {
                valList.add(ListEntry.of(placer.place(image, out.resolve("val").resolve(c.name()), c.folder()), index));
            }
            counts.add(new ClassCounts(c.name(), index, train.size(), val.size()));
        }
        new ClassIndex(nonEmpty.stream().map(ClassFolders.ClassFolder::name).toList()).write(out.resolve("annotations.txt"));
        new ListFile(out.resolve("train.txt"), trainList).write();
        new ListFile(out.resolve("val.txt"), valList).write();

        List<String> empty = folders.classes().stream().filter(c -> c.images() == 0).map(ClassFolders.ClassFolder::name).toList();
        boolean looksSplit = folders.find("train").isPresent() && folders.find("val").isPresent();
        return new Report(input, out, counts, empty, folders.unreadable(), folders.notImages(), folders.looseFiles(),
                placer.placement(), looksSplit);
    }

    /**
     * Images of a class that go to val: {@code round(n * valRatio)} (halves up), but at least 1 and at
     * most {@code n - 1} when the class has 2 or more images, so both splits see every class; a class of
     * one image keeps it for training.
     */
    static int valCount(int images, double valRatio) {
        if (images < 2) {
            return 0;
        }
        long k = Math.round(images * valRatio);
        return (int) Math.max(1, Math.min(images - 1, k));
    }

    /** One generator per class: a class's split depends only on the seed, its name and its files. */
    static long classSeed(long seed, String className) {
        return seed * 0x9E3779B97F4A7C15L + className.hashCode();
    }

    private static List<Path> sortedLike(List<Path> sortedAll, List<Path> subset) {
        Set<Path> chosen = new HashSet<>(subset);
        return sortedAll.stream().filter(chosen::contains).toList();
    }

    private static void checkOut(Path input, Path out) throws IOException {
        Path in = input.toRealPath();
        Path target = Files.exists(out) ? out.toRealPath() : out.toAbsolutePath().normalize();
        if (target.startsWith(in)) {
            throw new IllegalArgumentException(out + " is inside the input " + input
                    + "; its train/ and val/ folders would be taken as classes next time; choose an --out outside it");
        }
        if (in.startsWith(target)) {
            throw new IllegalArgumentException("the input " + input + " is inside " + out + "; choose an --out that does not contain it");
        }
        if (Files.exists(out)) {
            if (!Files.isDirectory(out)) {
                throw new FileAlreadyExistsException(out.toString(), null, "exists and is not a folder");
            }
            try (Stream<Path> entries = Files.list(out)) {
                if (entries.anyMatch(p -> !p.getFileName().toString().equals(FolderLock.FILE))) {
                    throw new IllegalArgumentException(out + " is not empty; split writes only into a new or empty"
                            + " folder and never deletes or overwrites files (remove it or choose another --out)");
                }
            }
        }
    }

    /** Puts images into the output by copying or linking, remembering why linking fell back. */
    private static final class Placer {
        private final boolean link;
        private int copies;
        private int hardLinks;
        private int symbolicLinks;
        private String hardLinkFailure;
        private String symbolicLinkFailure;

        Placer(boolean link) {
            this.link = link;
        }

        /** Places {@code image} (under {@code classFolder}) at the same relative path under {@code target}. */
        Path place(Path image, Path target, Path classFolder) throws IOException {
            Path dest = target.resolve(classFolder.relativize(image));
            Files.createDirectories(dest.getParent());
            if (link) {
                try {
                    Files.createLink(dest, image);
                    hardLinks++;
                    return dest;
                } catch (IOException | UnsupportedOperationException e) {
                    hardLinkFailure = hardLinkFailure != null ? hardLinkFailure : reason(e);
                }
                try {
                    Files.createSymbolicLink(dest, image.toAbsolutePath());
                    symbolicLinks++;
                    return dest;
                } catch (IOException | UnsupportedOperationException e) {
                    symbolicLinkFailure = symbolicLinkFailure != null ? symbolicLinkFailure : reason(e);
                }
            }
            Files.copy(image, dest, StandardCopyOption.COPY_ATTRIBUTES);
            copies++;
            return dest;
        }

        Placement placement() {
            return new Placement(copies, hardLinks, symbolicLinks, hardLinkFailure, symbolicLinkFailure);
        }

        private static String reason(Exception e) {
            String message = e.getMessage();
            return message == null ? e.getClass().getSimpleName()
                    : e.getClass().getSimpleName() + ": " + message;
        }
    }

    /** ": the one" or ", e.g. the first", so a long list of files stays one line. */
    static String example(List<?> items) {
        return (items.size() == 1 ? ": " : ", e.g. ") + items.get(0);
    }

    static String plural(int n) {
        return n == 1 ? "" : "s";
    }
}
