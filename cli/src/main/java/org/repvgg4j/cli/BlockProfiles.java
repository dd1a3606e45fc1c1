package org.repvgg4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.util.List;
import java.util.Locale;
import org.repvgg4j.bench.ForwardBench;
import org.repvgg4j.bench.LayerProfile;
import org.repvgg4j.bench.LayerTime;
import org.repvgg4j.bench.TimedNetwork;
import org.repvgg4j.model.RepVgg;

/** Times each RepVGG block on its own on libtorch (--profile): where the forward pass spends its time. */
final class BlockProfiles {

    private final BenchRun run;

    BlockProfiles(BenchRun run) {
        this.run = run;
    }

    /** Each RepVGG network of {@code nets} at each batch size, printed as a table per network (or JSON lines). */
    void time(List<TimedNetwork> nets, NDManager manager) {
        for (int batch : run.batches()) {
            for (TimedNetwork net : nets) {
                if (net.block() instanceof RepVgg r) {
                    print(net, LayerProfile.run(r, batch, run.imageSize(), run.warmup(), run.iterations(), manager),
                            batch);
                }
            }
        }
    }

    private void print(TimedNetwork net, List<LayerTime> layers, int batch) {
        double total = layers.stream().mapToDouble(LayerTime::medianMs).sum();
        if (run.json()) {
            for (LayerTime l : layers) {
                JsonObject o = new JsonObject();
                o.addProperty("model", net.model());
                o.addProperty("form", net.form());
                o.addProperty("engine", ForwardBench.ENGINE);
                o.addProperty("batch", batch);
                o.addProperty("threads", JniUtils.getNumThreads());
                o.addProperty("layer", l.layer());
                o.addProperty("channels", l.channels());
                o.addProperty("output_size", l.outputSize());
                o.addProperty("macs_per_image", l.macsPerImage());
                o.addProperty("median_ms", l.medianMs());
                o.addProperty("share", l.medianMs() / total);
                o.addProperty("gflops", l.gflops(batch));
                run.out().println(new Gson().toJson(o));
            }
            return;
        }
        run.out().printf(Locale.ROOT, "%nper block: %s %s form, batch %d, %d threads (sum %.2f ms)%n", net.model(),
                net.form(), batch, JniUtils.getNumThreads(), total);
        run.out().printf("%-12s %14s %10s %10s %7s %8s%n", "layer", "output", "MMACs/img", "median ms", "share",
                "GFLOP/s");
        for (LayerTime l : layers) {
            run.out().printf(Locale.ROOT, "%-12s %14s %10.1f %10.3f %6.1f%% %8.1f%n", l.layer(),
                    l.channels() + "x" + l.outputSize() + "x" + l.outputSize(), l.macsPerImage() / 1e6, l.medianMs(),
                    100 * l.medianMs() / total, l.gflops(batch));
        }
    }
}
