package org.repvgg4j.bench;

import java.lang.management.ManagementFactory;

/**
 * CPU time used by this whole process (every thread: Java, PyTorch's and ONNX Runtime's). On a
 * shared machine wall time also counts the time other processes held the cores; CPU time does not,
 * so at one thread it stays close to what the run would take on an idle machine.
 */
final class ProcessClock {

    private ProcessClock() {}

    /** Nanoseconds of CPU time so far, or -1 when the JVM cannot tell. */
    static long cpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /**
     * CPU milliseconds per run between two readings around {@code runs} runs, NaN when unknown. The
     * clock ticks in steps of up to 10 ms, so it is read around all timed runs, not each one.
     */
    static double msPerRun(long startNanos, long endNanos, int runs) {
        return startNanos < 0 || endNanos < 0 || runs < 1 ? Double.NaN : (endNanos - startNanos) / 1e6 / runs;
    }
}
