package org.repvgg4j.platform;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * The instruction set libtorch's convolution library, oneDNN, may use: the environment variable
 * {@code ONEDNN_MAX_CPU_ISA}, which oneDNN reads once, at its first convolution in the process.
 *
 * <p>Java cannot change its own environment ({@code System.getenv} is a copy taken at start-up), so
 * this reads and writes the process's real environment through the C library, by way of JNA (which
 * DJL already depends on). {@link #set} takes effect only if no convolution has run yet in this
 * process; {@link ConvolutionCheck} is how to tell whether a choice computes right.
 */
public final class OneDnnIsa {

    public static final String VARIABLE = "ONEDNN_MAX_CPU_ISA";

    /** oneDNN's own choice: the best instruction set the CPU has. */
    public static final String DEFAULT = "DEFAULT";

    private interface LibC extends Library {
        int setenv(String name, String value, int overwrite);

        String getenv(String name);
    }

    private static final class Holder {
        static final LibC LIBC = Native.load("c", LibC.class);
    }

    private OneDnnIsa() {
    }

    /** The value in effect for this process, {@code null} where unset (oneDNN's default). */
    public static String current() {
        String value = Holder.LIBC.getenv(VARIABLE);
        return value == null || value.isEmpty() ? null : value;
    }

    /** {@link #current()} for messages: {@code (unset)} where unset. */
    public static String describe() {
        String value = current();
        return value == null ? "(unset)" : value;
    }

    /**
     * Sets the variable for this process and the processes it starts. Call it before the engine's
     * first convolution: oneDNN ignores later changes.
     */
    public static void set(String value) {
        if (Holder.LIBC.setenv(VARIABLE, value, 1) != 0) {
            throw new IllegalStateException("setenv(" + VARIABLE + ", " + value + ") failed");
        }
    }
}
