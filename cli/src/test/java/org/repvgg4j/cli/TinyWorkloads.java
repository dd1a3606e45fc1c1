package org.repvgg4j.cli;

import java.util.TreeSet;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.platform.ConvolutionVerdicts.Workload;

/** A tiny network's training workloads on 2 threads, for the per-run choices' tests. */
final class TinyWorkloads {

    static final RepVggSpec TINY = RepVggSpec.parse("depths=1,1,1,1;widths=0.25,0.25,0.25,0.25");

    private TinyWorkloads() {
    }

    static Workload training(int size, int... batches) {
        TreeSet<Integer> set = new TreeSet<>();
        for (int b : batches) {
            set.add(b);
        }
        return new Workload(TINY, size, set, true, 2);
    }
}
