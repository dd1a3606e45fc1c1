package org.repvgg4j.cli;

import ai.djl.ndarray.NDManager;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;
import org.repvgg4j.bench.DatasetPass;
import org.repvgg4j.bench.ForwardBench;
import org.repvgg4j.bench.TimedNetwork;

/** Times a data set's worth of images (--images) through each network at the largest batch size, in total. */
final class DatasetPasses {

    private final BenchRun run;
    private final int images;

    DatasetPasses(BenchRun run, int images) {
        this.run = run;
        this.images = images;
    }

    void time(List<TimedNetwork> nets, NDManager manager, Consumer<DatasetPass> results) {
        int batch = Collections.max(run.batches());
        for (TimedNetwork net : nets) {
            run.progress("pushing %d images through %s %s in batches of %d ...%n", images, net.model(), net.form(),
                    batch);
            results.accept(ForwardBench.pass(net, images, batch, run.imageSize(), manager));
        }
    }
}
