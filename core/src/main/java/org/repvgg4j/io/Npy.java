package org.repvgg4j.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

/**
 * numpy's {@code .npy} format (NEP 1): float32, float64 and int64 arrays of any rank, little-endian,
 * C order. Reads format versions 1.0, 2.0 and 3.0; writes 1.0 (2.0 when the header needs it) with
 * the header padded so the data starts on a 64-byte boundary, as {@code numpy.save} does.
 */
public final class Npy {

    /** The element types we read and write, by their numpy {@code descr}. */
    public enum DType {
        FLOAT32("<f4", 4, "float32"),
        FLOAT64("<f8", 8, "float64"),
        INT64("<i8", 8, "int64");

        private final String descr;
        private final int size;
        private final String id;

        DType(String descr, int size, String id) {
            this.descr = descr;
            this.size = size;
            this.id = id;
        }

        public String descr() {
            return descr;
        }

        public int size() {
            return size;
        }

        public String id() {
            return id;
        }
    }

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** numpy aligns the data to this many bytes (numpy.lib.format.ARRAY_ALIGN). */
    private static final int ALIGN = 64;

    private static final Pattern DESCR = Pattern.compile("['\"]descr['\"]\\s*:\\s*['\"]([^'\"]*)['\"]");
    private static final Pattern FORTRAN = Pattern.compile("['\"]fortran_order['\"]\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("['\"]shape['\"]\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {}

    /** Reads a .npy file; errors name the file and say what is wrong with it. */
    public static NpyArray read(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "no such .npy file");
        }
        return parse(bytes, file.toString());
    }

    /** Parses the bytes of a .npy file; {@code source} names it in errors. */
    public static NpyArray parse(byte[] bytes, String source) throws IOException {
        if (bytes.length < 10 || !startsWithMagic(bytes)) {
            throw new IOException(source + ": not a .npy file (no \\x93NUMPY magic at the start)");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int major = bytes[6] & 0xff;
        int minor = bytes[7] & 0xff;
        long headerLength;
        int headerStart;
        if (major == 1) {
            headerLength = b.getShort(8) & 0xffff;
            headerStart = 10;
        } else if (major == 2 || major == 3) {
            if (bytes.length < 12) {
                throw new IOException(source + ": truncated .npy header");
            }
            headerLength = b.getInt(8) & 0xffffffffL;
            headerStart = 12;
        } else {
            throw new IOException(source + ": .npy format version " + major + "." + minor
                    + " is not supported (1.0, 2.0 and 3.0 are)");
        }
        if (headerStart + headerLength > bytes.length) {
            throw new IOException(source + ": truncated .npy header (" + headerLength + " bytes announced, "
                    + (bytes.length - headerStart) + " present)");
        }
        String header = new String(bytes, headerStart, (int) headerLength,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        DType dtype = dtype(field(DESCR, header, "descr", source), source);
        if (field(FORTRAN, header, "fortran_order", source).equals("True")) {
            throw new IOException(source + ": array is in Fortran order; save a C-order copy "
                    + "(numpy.ascontiguousarray(a)) instead");
        }
        long[] shape = shape(field(SHAPE, header, "shape", source), source);
        long dataStart = headerStart + headerLength;
        long needed = elementCount(shape) * dtype.size();
        long present = bytes.length - dataStart;
        if (present < needed) {
            throw new IOException(source + ": truncated data: shape " + shapeText(shape) + " " + dtype.id()
                    + " needs " + needed + " bytes, the file has " + present);
        }
        if (present > needed) {
            throw new IOException(source + ": " + (present - needed) + " bytes after the data of shape "
                    + shapeText(shape) + " " + dtype.id() + " (not a single .npy array?)");
        }
        return new NpyArray(dtype, shape, ByteBuffer.wrap(bytes, (int) dataStart, (int) needed).slice());
    }

    /** Writes {@code array} so that {@code numpy.load} reads it back unchanged. */
    public static void write(Path file, NpyArray array) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(header(array.dtype(), array.shape()));
            ByteBuffer data = array.data().duplicate();
            byte[] chunk = new byte[1 << 16];
            while (data.hasRemaining()) {
                int n = Math.min(chunk.length, data.remaining());
                data.get(chunk, 0, n);
                out.write(chunk, 0, n);
            }
        }
    }

    /** The preamble and header numpy would write for this dtype and shape. */
    public static byte[] header(DType dtype, long[] shape) {
        String dict = "{'descr': '" + dtype.descr() + "', 'fortran_order': False, 'shape': " + pythonTuple(shape) + ", }";
        for (int version = 1; version <= 2; version++) {
            int preamble = version == 1 ? 10 : 12;
            int unpadded = preamble + dict.length() + 1; // + '\n'
            int padding = (ALIGN - unpadded % ALIGN) % ALIGN;
            int headerLength = dict.length() + padding + 1;
            if (version == 1 && headerLength > 0xffff) {
                continue;
            }
            ByteBuffer b = ByteBuffer.allocate(preamble + headerLength).order(ByteOrder.LITTLE_ENDIAN);
            b.put(MAGIC).put((byte) version).put((byte) 0);
            if (version == 1) {
                b.putShort((short) headerLength);
            } else {
                b.putInt(headerLength);
            }
            b.put(dict.getBytes(StandardCharsets.ISO_8859_1));
            for (int i = 0; i < padding; i++) {
                b.put((byte) ' ');
            }
            b.put((byte) '\n');
            return b.array();
        }
        throw new IllegalArgumentException("shape " + shapeText(shape) + " needs a header larger than .npy allows");
    }

    static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** A shape as numpy prints it: {@code (2, 3)}, {@code (5,)}, {@code ()}. */
    public static String shapeText(long[] shape) {
        return pythonTuple(shape);
    }

    private static String pythonTuple(long[] shape) {
        if (shape.length == 1) {
            return "(" + shape[0] + ",)";
        }
        return LongStream.of(shape).mapToObj(Long::toString).collect(Collectors.joining(", ", "(", ")"));
    }

    private static boolean startsWithMagic(byte[] bytes) {
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes[i] != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    private static String field(Pattern pattern, String header, String name, String source) throws IOException {
        Matcher m = pattern.matcher(header);
        if (!m.find()) {
            throw new IOException(source + ": .npy header has no readable '" + name + "' (" + header.strip() + ")");
        }
        return m.group(1);
    }

    private static DType dtype(String descr, String source) throws IOException {
        for (DType t : DType.values()) {
            if (t.descr().equals(descr)) {
                return t;
            }
        }
        if (descr.startsWith(">") && descr.length() == 3) {
            throw new IOException(source + ": big-endian data ('" + descr + "') is not supported; save a "
                    + "little-endian copy (a.astype(a.dtype.newbyteorder('<')))");
        }
        throw new IOException(source + ": dtype '" + descr + "' is not supported (float32 '<f4', float64 '<f8', "
                + "int64 '<i8')");
    }

    private static long[] shape(String text, String source) throws IOException {
        List<Long> dims = new ArrayList<>();
        for (String part : text.split(",")) {
            String p = part.strip();
            if (p.endsWith("L")) {
                p = p.substring(0, p.length() - 1); // Python 2 longs
            }
            if (p.isEmpty()) {
                continue;
            }
            try {
                long d = Long.parseLong(p);
                if (d < 0) {
                    throw new NumberFormatException();
                }
                dims.add(d);
            } catch (NumberFormatException e) {
                throw new IOException(source + ": .npy shape '(" + text + ")' is not a tuple of sizes");
            }
        }
        return dims.stream().mapToLong(Long::longValue).toArray();
    }
}
