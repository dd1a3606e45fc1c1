package org.repvgg4j.export;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes the few pickle (protocol 2) opcodes a TorchScript archive's {@code data.pkl} and
 * {@code constants.pkl} use: globals, tuples, dicts, strings, small ints, booleans, persistent ids
 * and object construction. The reader is libtorch's own unpickler, which accepts this subset; no
 * memo is written, as nothing is shared.
 */
final class PickleWriter {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    PickleWriter() {
        out.write(0x80); // PROTO
        out.write(2);
    }

    /** {@code module.name}, as a class or function reference. */
    PickleWriter global(String module, String name) {
        out.write('c');
        ascii(module + "\n" + name + "\n");
        return this;
    }

    PickleWriter mark() {
        return op('(');
    }

    /** A tuple of everything since the last {@link #mark()}. */
    PickleWriter tuple() {
        return op('t');
    }

    PickleWriter emptyTuple() {
        return op(')');
    }

    PickleWriter emptyDict() {
        return op('}');
    }

    /** Puts the key/value pairs since the last {@link #mark()} into the dict below the mark. */
    PickleWriter setItems() {
        return op('u');
    }

    PickleWriter string(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        out.write('X'); // BINUNICODE
        int32(bytes.length);
        out.writeBytes(bytes);
        return this;
    }

    PickleWriter integer(long value) {
        if (value >= 0 && value < 256) {
            out.write('K'); // BININT1
            out.write((int) value);
        } else if (value >= Integer.MIN_VALUE && value <= Integer.MAX_VALUE) {
            out.write('J'); // BININT
            int32((int) value);
        } else {
            out.write(0x8a); // LONG1: 8 bytes, little-endian two's complement
            out.write(8);
            for (int i = 0; i < 8; i++) {
                out.write((int) (value >>> (8 * i)) & 0xff);
            }
        }
        return this;
    }

    PickleWriter bool(boolean value) {
        return op(value ? 0x88 : 0x89); // NEWTRUE, NEWFALSE
    }

    /** The object on top becomes a persistent id (the archive's tensor storage references). */
    PickleWriter persistentId() {
        return op('Q'); // BINPERSID
    }

    /** Calls the callable below the argument tuple on top. */
    PickleWriter reduce() {
        return op('R');
    }

    /** {@code cls.__new__(cls, *args)} for the class below the argument tuple on top. */
    PickleWriter newObject() {
        return op(0x81); // NEWOBJ
    }

    /** Sets the object's state from the dict on top. */
    PickleWriter build() {
        return op('b');
    }

    private PickleWriter op(int code) {
        out.write(code);
        return this;
    }

    byte[] finish() {
        out.write('.'); // STOP
        return out.toByteArray();
    }

    private void ascii(String s) {
        out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
    }

    private void int32(int v) {
        out.write(v & 0xff);
        out.write((v >>> 8) & 0xff);
        out.write((v >>> 16) & 0xff);
        out.write((v >>> 24) & 0xff);
    }
}
