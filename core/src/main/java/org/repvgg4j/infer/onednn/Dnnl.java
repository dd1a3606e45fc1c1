package org.repvgg4j.infer.onednn;

import static org.bytedeco.dnnl.global.dnnl.dnnl_cpu;
import static org.bytedeco.dnnl.global.dnnl.dnnl_cpu_isa_all;
import static org.bytedeco.dnnl.global.dnnl.dnnl_cpu_isa_avx;
import static org.bytedeco.dnnl.global.dnnl.dnnl_cpu_isa_avx2;
import static org.bytedeco.dnnl.global.dnnl.dnnl_cpu_isa_avx512_core;
import static org.bytedeco.dnnl.global.dnnl.dnnl_cpu_isa_avx512_core_bf16;
import static org.bytedeco.dnnl.global.dnnl.dnnl_cpu_isa_avx512_core_vnni;
import static org.bytedeco.dnnl.global.dnnl.dnnl_cpu_isa_sse41;
import static org.bytedeco.dnnl.global.dnnl.dnnl_engine_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_get_effective_cpu_isa;
import static org.bytedeco.dnnl.global.dnnl.dnnl_invalid_arguments;
import static org.bytedeco.dnnl.global.dnnl.dnnl_out_of_memory;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_query;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_impl_info_str;
import static org.bytedeco.dnnl.global.dnnl.dnnl_runtime_error;
import static org.bytedeco.dnnl.global.dnnl.dnnl_set_max_cpu_isa;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_default_flags;
import static org.bytedeco.dnnl.global.dnnl.dnnl_success;
import static org.bytedeco.dnnl.global.dnnl.dnnl_unimplemented;

import com.sun.jna.Function;
import com.sun.jna.Library;
import com.sun.jna.NativeLibrary;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The process's oneDNN 2.7 (bytedeco's build, from Maven Central): one CPU engine and one stream,
 * status codes turned into exceptions, and the OpenMP thread count of the calling thread.
 *
 * <p>This oneDNN is not libtorch's. It is a second copy, of the last release line with Winograd
 * convolutions for AVX-512 (removed in oneDNN 3.0), and it keeps its own OpenMP runtime. The
 * instruction-set cap that {@code ONEDNN_MAX_CPU_ISA} puts on libtorch's oneDNN is lifted for it:
 * every network it runs is checked against DJL's output when it is opened ({@code Classifier}).
 */
public final class Dnnl {

    private static dnnl_engine engine;
    private static dnnl_stream stream;
    private static Function setNumThreads;
    private static final ThreadLocal<Integer> THREADS = new ThreadLocal<>();

    /** dlopen's RTLD_LAZY (Linux), and no RTLD_GLOBAL. */
    private static final int RTLD_LAZY = 1;

    /**
     * The one thread every oneDNN call of the process runs on. Called from several Java threads, each
     * with its own OpenMP team and thread count, this oneDNN has crashed the JVM in its kernels (two
     * scorers, four calling threads, changing batch sizes; one calling thread was fine), even with
     * the calls taking turns. A daemon, so it never keeps the JVM alive.
     */
    private static final ExecutorService THREAD = Executors.newSingleThreadExecutor(task -> {
        Thread t = new Thread(task, "onednn");
        t.setDaemon(true);
        return t;
    });

    private static volatile Thread onednnThread;

    private Dnnl() {}

    /** Runs {@code work} on the oneDNN thread and returns its result; its exceptions are rethrown here. */
    public static <T> T onItsThread(Callable<T> work) {
        if (Thread.currentThread() == onednnThread) {
            return call(work);
        }
        try {
            return THREAD.submit(() -> {
                onednnThread = Thread.currentThread();
                return call(work);
            }).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for oneDNN", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    private static <T> T call(Callable<T> work) {
        try {
            return work.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The CPU engine, created on first use (which loads the native libraries). */
    public static synchronized dnnl_engine engine() {
        if (engine == null) {
            // Before any kernel is generated, or the cap set for libtorch would apply here too.
            dnnl_set_max_cpu_isa(isaCap());
            dnnl_engine e = new dnnl_engine();
            check(dnnl_engine_create(e, dnnl_cpu, 0), "creating the CPU engine");
            dnnl_stream s = new dnnl_stream();
            check(dnnl_stream_create(s, e, dnnl_stream_default_flags), "creating a stream");
            engine = e;
            stream = s;
        }
        return engine;
    }

    /**
     * Whether this oneDNN runs its AVX-512 kernels: the CPU has AVX-512 (F, CD, BW, DQ, VL) and
     * {@link #ISA_VARIABLE} does not cap it below. Float32 results round differently from AVX2's.
     */
    public static boolean avx512Kernels() {
        engine();
        return (dnnl_get_effective_cpu_isa() & dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core;
    }

    /** The variable that caps this oneDNN's instruction set ({@code ONEDNN_MAX_CPU_ISA} caps libtorch's). */
    public static final String ISA_VARIABLE = "REPVGG_ONEDNN_MAX_CPU_ISA";

    /**
     * The instruction set this oneDNN may use: all the CPU has, unless {@link #ISA_VARIABLE} names a
     * cap ({@code AVX2}, {@code AVX512_CORE}, ...): how a machine with more measures and checks what an
     * AVX2-only CPU would run.
     */
    public static String isa() {
        String cap = System.getenv(ISA_VARIABLE);
        return cap == null || cap.isBlank() ? "ALL" : cap.trim().toUpperCase(java.util.Locale.ROOT);
    }

    private static int isaCap() {
        return switch (isa()) {
            case "ALL", "DEFAULT" -> dnnl_cpu_isa_all;
            case "SSE41" -> dnnl_cpu_isa_sse41;
            case "AVX" -> dnnl_cpu_isa_avx;
            case "AVX2" -> dnnl_cpu_isa_avx2;
            case "AVX512_CORE" -> dnnl_cpu_isa_avx512_core;
            case "AVX512_CORE_VNNI" -> dnnl_cpu_isa_avx512_core_vnni;
            case "AVX512_CORE_BF16" -> dnnl_cpu_isa_avx512_core_bf16;
            default -> throw new IllegalArgumentException(ISA_VARIABLE + "=" + isa()
                    + ": not an instruction set (SSE41, AVX, AVX2, AVX512_CORE, AVX512_CORE_VNNI, AVX512_CORE_BF16, ALL)");
        };
    }

    /** The stream primitives execute on (in order, on the calling thread). */
    public static synchronized dnnl_stream stream() {
        engine();
        return stream;
    }

    /**
     * Makes oneDNN's parallel loops on the calling thread use {@code threads} threads. OpenMP keeps
     * the count per thread, and oneDNN's OpenMP runtime is its own (not libtorch's), so it is set
     * through that runtime's {@code omp_set_num_threads}, found by JNA in the library the JavaCPP
     * loader extracted.
     */
    public static void useThreads(int threads) {
        if (Integer.valueOf(threads).equals(THREADS.get())) {
            return;
        }
        ompSetNumThreads().invokeVoid(new Object[] {threads});
        THREADS.set(threads);
    }

    private static synchronized Function ompSetNumThreads() {
        if (setNumThreads == null) {
            engine();
            String path = null;
            for (Map.Entry<String, String> lib : Loader.getLoadedLibraries().entrySet()) {
                if (lib.getKey().startsWith("gomp@") && lib.getValue() != null) {
                    path = lib.getValue();
                }
            }
            if (path == null) {
                throw new IllegalStateException("oneDNN: its OpenMP runtime (libgomp) was not loaded by JavaCPP; "
                        + "loaded: " + Loader.getLoadedLibraries().keySet());
            }
            // RTLD_LAZY without RTLD_GLOBAL, JNA's default: a global libgomp would take over the OpenMP
            // calls libtorch binds from then on (its own libgomp is another copy), and training steps
            // after the first onednn run gave NaN losses.
            setNumThreads = NativeLibrary.getInstance(path, Map.of(Library.OPTION_OPEN_FLAGS, RTLD_LAZY))
                    .getFunction("omp_set_num_threads");
        }
        return setNumThreads;
    }

    /**
     * {@code floats} floats from the first 64-byte boundary in {@code block} (allocate {@code floats + 16}).
     * The start moves in the address, not in the position: JavaCPP passes a {@code void*} argument (a
     * oneDNN memory's data) as address plus position counted in bytes, so a float position would land
     * oneDNN's data elsewhere.
     */
    public static FloatPointer aligned(FloatPointer block, long floats) {
        return new AlignedFloats(block, floats);
    }

    private static final class AlignedFloats extends FloatPointer {
        AlignedFloats(FloatPointer block, long floats) {
            super(block);
            address += (64 - block.address() % 64) % 64;
            position = 0;
            limit = floats;
            capacity = floats;
        }
    }

    /** The kernel oneDNN chose for a primitive, e.g. {@code jit:avx512_core} or {@code ref:any}. */
    public static String implementation(dnnl_primitive_desc pd) {
        try (PointerPointer<BytePointer> name = new PointerPointer<>(1)) {
            check(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, name), "naming a kernel");
            return new BytePointer(name.get(0)).getString();
        }
    }

    /** Closes {@code natives} last first (primitives before the memory they use), then forgets them. */
    public static void closeAll(List<AutoCloseable> natives) {
        for (int i = natives.size() - 1; i >= 0; i--) {
            try {
                natives.get(i).close();
            } catch (Exception e) {
                throw new IllegalStateException("oneDNN: freeing native memory failed", e);
            }
        }
        natives.clear();
    }

    /** Throws, naming {@code what}, unless {@code status} is success. */
    public static void check(int status, String what) {
        if (status != dnnl_success) {
            throw new IllegalStateException("oneDNN: " + what + " failed (" + describe(status) + ")");
        }
    }

    static String describe(int status) {
        if (status == dnnl_unimplemented) {
            return "unimplemented";
        }
        if (status == dnnl_invalid_arguments) {
            return "invalid arguments";
        }
        if (status == dnnl_out_of_memory) {
            return "out of memory";
        }
        if (status == dnnl_runtime_error) {
            return "runtime error";
        }
        return "status " + status;
    }
}
