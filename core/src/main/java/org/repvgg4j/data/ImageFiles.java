package org.repvgg4j.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Which files are images: by extension (jpg, jpeg, png, bmp, gif, webp, any case) checked against the
 * first bytes, or by the first bytes alone for any other name. Hidden files and folders are never images.
 */
public final class ImageFiles {

    /** The formats recognised by their first bytes. */
    public enum Format { JPEG, PNG, GIF, BMP, WEBP }

    /** Extensions that claim a file is an image; such a file whose bytes say otherwise is unreadable. */
    public static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp", "gif", "webp");

    /** A file that looks like an image by name but cannot be one, and why. */
    public record Unreadable(Path file, String reason) {
        @Override
        public String toString() {
            return file + ": " + reason;
        }
    }

    /**
     * What a folder holds, each list in the order of the files' paths relative to the folder (with
     * {@code /} separators, compared by code point), so it is the same on every file system.
     */
    public record Listing(List<Path> images, List<Unreadable> unreadable, List<Path> notImages) {
        public Listing {
            images = List.copyOf(images);
            unreadable = List.copyOf(unreadable);
            notImages = List.copyOf(notImages);
        }
    }

    private static final int HEADER_BYTES = 18;

    private ImageFiles() {}

    /** True when the name ends in one of {@link #EXTENSIONS}, in any case ({@code A.JPG}). */
    public static boolean hasImageExtension(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /** Hidden by the Unix convention: the name starts with a dot ({@code .DS_Store}, {@code ._x.jpg}, {@code .git}). */
    public static boolean isHidden(Path file) {
        Path name = file.getFileName();
        return name != null && name.toString().startsWith(".");
    }

    /** The format the file's first bytes announce; empty when they match none (or the file is empty). */
    public static Optional<Format> format(Path file) throws IOException {
        byte[] header = new byte[HEADER_BYTES];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(header, 0, header.length);
        }
        return format(header, n);
    }

    /** The format announced by the first {@code length} bytes of a file. */
    static Optional<Format> format(byte[] h, int length) {
        if (length >= 3 && u(h[0]) == 0xFF && u(h[1]) == 0xD8 && u(h[2]) == 0xFF) {
            return Optional.of(Format.JPEG);
        }
        if (length >= 8 && startsWith(h, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
            return Optional.of(Format.PNG);
        }
        if (length >= 6 && startsWith(h, 'G', 'I', 'F', '8') && (h[4] == '7' || h[4] == '9') && h[5] == 'a') {
            return Optional.of(Format.GIF);
        }
        if (length >= 12 && startsWith(h, 'R', 'I', 'F', 'F') && h[8] == 'W' && h[9] == 'E' && h[10] == 'B' && h[11] == 'P') {
            return Optional.of(Format.WEBP);
        }
        // "BM" alone would take any text starting with "BM..." for a bitmap; the size of the DIB header
        // that follows the 14-byte file header is one of a few fixed values in every BMP variant.
        if (length >= 18 && h[0] == 'B' && h[1] == 'M') {
            int dibSize = u(h[14]) | u(h[15]) << 8 | u(h[16]) << 16 | u(h[17]) << 24;
            if (Set.of(12, 16, 40, 52, 56, 64, 108, 124).contains(dibSize)) {
                return Optional.of(Format.BMP);
            }
        }
        return Optional.empty();
    }

    /**
     * Sorts every file under {@code folder} (recursively, not following linked folders, skipping hidden
     * files and folders) into images, unreadable files (an image extension but empty, unreadable, or
     * bytes of no image format; or a name a list file cannot hold) and other files.
     */
    public static Listing list(Path folder) throws IOException {
        List<Path> files = files(folder);
        List<Path> images = new ArrayList<>();
        List<Unreadable> unreadable = new ArrayList<>();
        List<Path> others = new ArrayList<>();
        for (Path file : files) {
            boolean claimsImage = hasImageExtension(file);
            Optional<Format> format;
            try {
                format = format(file);
            } catch (IOException e) {
                if (claimsImage) {
                    unreadable.add(new Unreadable(file, "cannot be read (" + e.getClass().getSimpleName() + ")"));
                } else {
                    others.add(file);
                }
                continue;
            }
            if (format.isEmpty()) {
                if (claimsImage) {
                    unreadable.add(new Unreadable(file, Files.size(file) == 0 ? "empty file"
                            : "not a JPEG, PNG, GIF, BMP or WebP image (its first bytes match none)"));
                } else {
                    others.add(file);
                }
            } else if (!ListFile.canHold(relativeName(folder, file))) {
                // The split and annotate lists could not name this file unambiguously.
                unreadable.add(new Unreadable(file, "its name has a line break or leading/trailing spaces"));
            } else {
                images.add(file);
            }
        }
        return new Listing(images, unreadable, others);
    }

    /**
     * The files under {@code folder} (recursively, not following linked folders, skipping hidden files
     * and folders) whose extension names an image format, in the order of their relative paths, so that
     * the same folder always gives the same order. Their content is not read.
     */
    public static List<Path> withImageExtension(Path folder) throws IOException {
        return files(folder).stream().filter(ImageFiles::hasImageExtension).toList();
    }

    /** Every regular file under {@code folder} but hidden ones, sorted by relative path. */
    private static List<Path> files(Path folder) throws IOException {
        try (Stream<Path> walk = Files.walk(folder)) {
            return walk.filter(p -> !p.equals(folder))
                    .filter(p -> !hiddenBelow(folder, p))
                    .filter(Files::isRegularFile)
                    .sorted(Comparator.comparing(p -> relativeName(folder, p)))
                    .toList();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** The path of {@code file} relative to {@code folder}, with {@code /} separators. */
    static String relativeName(Path folder, Path file) {
        List<String> parts = new ArrayList<>();
        for (Path part : folder.relativize(file)) {
            parts.add(part.toString());
        }
        return String.join("/", parts);
    }

    private static boolean hiddenBelow(Path folder, Path file) {
        for (Path part : folder.relativize(file)) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static boolean startsWith(byte[] h, int... expected) {
        for (int i = 0; i < expected.length; i++) {
            if (u(h[i]) != expected[i]) {
                return false;
            }
        }
        return true;
    }

    private static int u(byte b) {
        return b & 0xFF;
    }
}
