package org.repvgg4j.api;

import org.repvgg4j.infer.Engine;

/**
 * Whether an engine's libraries are on the class path. Core brings none of the natives: the
 * application chooses them (repvgg4j-runtime-cpu-linux-x86_64 brings all three for that platform), so
 * a library call must not assume the engine the command line would pick is there.
 */
final class EngineLibraries {

    private EngineLibraries() {
    }

    static boolean present(Engine engine) {
        return switch (engine) {
            // DJL finds libtorch itself (the native artifact, or a download where not offline) and
            // fails loudly when it cannot.
            case PYTORCH -> true;
            case ONNXRUNTIME -> resource("ai/onnxruntime/OrtEnvironment.class");
            case ONEDNN -> resource("org/bytedeco/dnnl/" + platform() + "/" + System.mapLibraryName("jnidnnl"));
        };
    }

    /** The artifact an application adds to run {@code engine}, for messages. */
    static String artifact(Engine engine) {
        return switch (engine) {
            case PYTORCH -> "ai.djl.pytorch:pytorch-native-cpu (classifier of the platform) and pytorch-jni";
            case ONNXRUNTIME -> "com.microsoft.onnxruntime:onnxruntime";
            case ONEDNN -> "org.bytedeco:dnnl, org.bytedeco:javacpp and org.bytedeco:opencl with classifier " + platform();
        };
    }

    private static boolean resource(String name) {
        return EngineLibraries.class.getClassLoader().getResource(name) != null;
    }

    /** JavaCPP's name for this platform, as its native jars are classified ({@code linux-x86_64}). */
    private static String platform() {
        String os = System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(java.util.Locale.ROOT);
        String osName = os.startsWith("linux") ? "linux" : os.startsWith("mac") ? "macosx" : os.startsWith("windows")
                ? "windows" : os;
        String archName = switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "arm64";
            default -> arch;
        };
        return osName + "-" + archName;
    }
}
