import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Times ONNX models with one float input of the same shape in ONNX Runtime, taking turns run by run,
 * with our scoring sessions' settings (all graph optimizations, 2 intra-op threads, no spinning),
 * and compares each one's output with the first model's.
 *
 *   CP="cli/target/repvgg-cli.jar:cli/target/lib/*"
 *   java -cp "$CP" tools/OrtGraphBench.java 32,192,14,14 20 /tmp/wg/direct.onnx /tmp/wg/winograd.onnx
 *
 * With -Dprofile=true each session also writes ONNX Runtime's per-node profile (MODEL.onnx.prof_*.json).
 */
public class OrtGraphBench {
    public static void main(String[] args) throws Exception {
        long[] shape = Arrays.stream(args[0].split(",")).mapToLong(Long::parseLong).toArray();
        int iterations = Integer.parseInt(args[1]);
        boolean profile = Boolean.getBoolean("profile");
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        List<String> files = Arrays.asList(args).subList(2, args.length);
        List<OrtSession> sessions = new ArrayList<>();
        for (String file : files) {
            OrtSession.SessionOptions options = new OrtSession.SessionOptions();
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setIntraOpNumThreads(2);
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            if (profile) {
                options.enableProfiling(file + ".prof");
            }
            sessions.add(env.createSession(file, options));
        }
        int size = Math.toIntExact(Arrays.stream(shape).reduce(1, (a, b) -> a * b));
        FloatBuffer input = ByteBuffer.allocateDirect(size * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        Random random = new Random(1);
        for (int i = 0; i < size; i++) {
            input.put(i, (float) random.nextGaussian());
        }
        float[][] outputs = new float[files.size()][];
        double[][] millis = new double[files.size()][iterations];
        try (OnnxTensor x = OnnxTensor.createTensor(env, input, shape)) {
            for (int it = -3; it < iterations; it++) {
                for (int k = 0; k < files.size(); k++) {
                    OrtSession session = sessions.get(k);
                    long start = System.nanoTime();
                    try (OrtSession.Result result = session.run(Map.of(session.getInputNames().iterator().next(), x))) {
                        double ms = (System.nanoTime() - start) / 1e6;
                        if (it >= 0) {
                            millis[k][it] = ms;
                        } else if (outputs[k] == null) {
                            FloatBuffer out = ((OnnxTensor) result.get(0)).getFloatBuffer();
                            outputs[k] = new float[out.remaining()];
                            out.get(outputs[k]);
                        }
                    }
                }
            }
        }
        for (int k = 0; k < files.size(); k++) {
            if (profile) {
                sessions.get(k).endProfiling();
            }
            double[] sorted = millis[k].clone();
            Arrays.sort(sorted);
            double maxDiff = 0;
            double maxAbs = 0;
            for (int i = 0; i < outputs[0].length && outputs[k].length == outputs[0].length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(outputs[k][i] - outputs[0][i]));
                maxAbs = Math.max(maxAbs, Math.abs(outputs[0][i]));
            }
            System.out.printf("%-32s median %8.2f ms  min %8.2f ms  max |diff| to the first %.3g of %.3g%n",
                    files.get(k), sorted[sorted.length / 2], sorted[0], maxDiff, maxAbs);
        }
    }
}
