package org.repvgg4j.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * A list file ({@code train.txt}, {@code val.txt}): one {@code <image path> <label index>} per line, or
 * {@code <image path>} alone in an unlabelled list. A path may contain spaces: the label is the last
 * space-separated field, and only when it is an integer. Relative paths are relative to the list
 * file's folder. Blank lines are skipped. A list is all labelled or all unlabelled.
 */
public record ListFile(Path file, List<ListEntry> entries) {

    private static final Pattern INTEGER = Pattern.compile("-?\\d+");

    public ListFile {
        entries = List.copyOf(entries);
    }

    /** Reads a list file, resolving relative paths against its folder; bad lines are reported as {@code file:line: ...}. */
    public static ListFile read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "list file not found");
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        Path folder = file.getParent();
        List<ListEntry> entries = new ArrayList<>();
        int firstLabelled = 0;
        int firstUnlabelled = 0;
        for (int n = 1; n <= lines.size(); n++) {
            String line = lines.get(n - 1);
            if (n == 1 && line.startsWith("\uFEFF")) {
                line = line.substring(1); // a byte-order mark some editors write
            }
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = file + ":" + n + ": ";
            String pathText = line;
            OptionalInt label = OptionalInt.empty();
            int space = Math.max(line.lastIndexOf(' '), line.lastIndexOf('\t'));
            if (space > 0 && INTEGER.matcher(line.substring(space + 1)).matches()) {
                String tail = line.substring(space + 1);
                try {
                    label = OptionalInt.of(Integer.parseInt(tail));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(where + "label " + tail + " is not a valid class index");
                }
                pathText = line.substring(0, space).strip();
            }
            if (label.isPresent() && firstLabelled == 0) {
                firstLabelled = n;
            } else if (label.isEmpty() && firstUnlabelled == 0) {
                firstUnlabelled = n;
            }
            if (firstLabelled > 0 && firstUnlabelled > 0) {
                throw new IllegalArgumentException(where + (label.isEmpty()
                        ? noLabel(pathText) + ", but line " + firstLabelled + " has one"
                        : "ends in a label, but line " + firstUnlabelled + " has none")
                        + " (a list is all '<image path> <label index>' or all '<image path>')");
            }
            Path path;
            try {
                path = Path.of(pathText);
            } catch (InvalidPathException e) {
                throw new IllegalArgumentException(where + "'" + pathText + "' is not a valid path (" + e.getReason() + ")");
            }
            if (!path.isAbsolute() && folder != null) {
                path = folder.resolve(path);
            }
            entries.add(new ListEntry(path.normalize(), label, n));
        }
        return new ListFile(file, entries);
    }

    /** The entries as labelled samples for training or evaluation (the list must be labelled). */
    public List<Sample> samples() {
        List<Sample> samples = new ArrayList<>(entries.size());
        for (ListEntry e : entries) {
            if (e.label().isEmpty()) {
                throw new IllegalArgumentException(where(e) + ": " + noLabel(e.path().getFileName() == null ? ""
                        : e.path().getFileName().toString()));
            }
            samples.add(new Sample(e.path(), e.label().getAsInt()));
        }
        return samples;
    }

    /**
     * "no label", and when the line ends in a word that was meant as one ({@code cat.png cat}) what is
     * wrong with it: a label is the class's index, an integer, not its name.
     */
    private static String noLabel(String pathText) {
        int space = Math.max(pathText.lastIndexOf(' '), pathText.lastIndexOf('\t'));
        if (space < 0) {
            return "no label";
        }
        String tail = pathText.substring(space + 1);
        if (tail.contains(".") && !tail.matches("-?\\d*\\.\\d+")) {
            return "no label"; // a file name with a space in it, such as 'my photo.jpg'
        }
        return "no label: '" + tail + "' at the end is not a class index (an integer 0..N-1 from the class file)";
    }

    /** True when the entries carry labels (an empty list counts as labelled). */
    public boolean labelled() {
        return entries.isEmpty() || entries.get(0).isLabelled();
    }

    /** Where an entry came from, as errors name it: {@code val.txt:17}. */
    public String where(ListEntry entry) {
        return file + ":" + entry.line();
    }

    /**
     * Everything that would stop training on this list, one message per problem in line order: no
     * entries, no labels, a label outside {@code 0..numClasses-1}, an image that does not exist.
     * {@code classFile} only names the class file in the messages (it may be null).
     */
    public List<String> problems(int numClasses, Path classFile) {
        if (entries.isEmpty()) {
            return List.of(file + ": no images listed");
        }
        if (!labelled()) {
            return List.of(file + ": no labels (training and evaluation need '<image path> <label index>' per line)");
        }
        String classes = classFile == null ? numClasses + " classes" : classFile + " has " + numClasses + " classes";
        List<String> problems = new ArrayList<>();
        for (ListEntry entry : entries) {
            int label = entry.label().getAsInt();
            if (label < 0 || label >= numClasses) {
                problems.add(where(entry) + ": label " + label + " is out of range (" + classes + ")");
            }
            missing(entry).ifPresent(problems::add);
        }
        return problems;
    }

    /** Images that do not exist, one message per entry (labels are not looked at: batch inference lists). */
    public List<String> missingImages() {
        List<String> problems = new ArrayList<>();
        for (ListEntry entry : entries) {
            missing(entry).ifPresent(problems::add);
        }
        return problems;
    }

    /**
     * Fails with the first of {@link #problems}, naming {@code list:line}, and how many more there are;
     * training calls this before it starts.
     */
    public void check(int numClasses, Path classFile) {
        failOnFirst(problems(numClasses, classFile));
    }

    /** Same as {@link #check} for the class file that will be used. */
    public void check(ClassIndex classes, Path classFile) {
        check(classes.size(), classFile);
    }

    /** Fails with the first image that does not exist, naming {@code list:line}. */
    public void checkImagesExist() {
        failOnFirst(missingImages());
    }

    /**
     * Writes the list to {@link #file} (replacing it atomically): paths under the list's folder are
     * written relative to it, others absolute, always with {@code /} separators.
     */
    public void write() throws IOException {
        Path folder = file.toAbsolutePath().normalize().getParent();
        StringBuilder text = new StringBuilder();
        Boolean labelled = null;
        for (ListEntry entry : entries) {
            if (labelled != null && labelled != entry.isLabelled()) {
                throw new IllegalArgumentException(file + ": cannot mix labelled and unlabelled entries in one list");
            }
            labelled = entry.isLabelled();
            Path path = entry.path().toAbsolutePath().normalize();
            String name = path.startsWith(folder) ? ImageFiles.relativeName(folder, path)
                    : path.toString().replace(path.getFileSystem().getSeparator(), "/");
            if (!canHold(name)) {
                throw new IllegalArgumentException(file + ": cannot list '" + name
                        + "': its name has a line break or leading/trailing spaces");
            }
            text.append(name);
            if (entry.isLabelled()) {
                text.append(' ').append(entry.label().getAsInt());
            } else if (endsInInteger(name)) {
                throw new IllegalArgumentException(file + ": cannot list '" + name
                        + "' without a label: it would read back as '<image path> <label index>'");
            }
            text.append('\n');
        }
        Files.createDirectories(folder);
        Path temp = Files.createTempFile(folder, "." + file.getFileName(), ".tmp");
        try {
            Files.writeString(temp, text, StandardCharsets.UTF_8);
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Whether a path written as this text reads back as the same path. */
    static boolean canHold(String pathText) {
        return !pathText.isEmpty() && pathText.indexOf('\n') < 0 && pathText.indexOf('\r') < 0
                && pathText.equals(pathText.strip());
    }

    private static boolean endsInInteger(String pathText) {
        int space = Math.max(pathText.lastIndexOf(' '), pathText.lastIndexOf('\t'));
        return space > 0 && INTEGER.matcher(pathText.substring(space + 1)).matches();
    }

    private Optional<String> missing(ListEntry entry) {
        Path path = entry.path();
        if (Files.isRegularFile(path)) {
            return Optional.empty();
        }
        return Optional.of(where(entry) + ": " + path + (Files.isDirectory(path) ? " is a folder, not an image" : " does not exist"));
    }

    private void failOnFirst(List<String> problems) {
        if (problems.isEmpty()) {
            return;
        }
        String more = problems.size() == 1 ? ""
                : " [and " + (problems.size() - 1) + " more problem" + (problems.size() == 2 ? "" : "s") + " in " + file + "]";
        throw new IllegalArgumentException(problems.get(0) + more);
    }
}
