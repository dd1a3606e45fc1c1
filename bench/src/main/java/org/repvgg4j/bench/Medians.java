package org.repvgg4j.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The median of timed runs: the middle value, or the mean of the two middle ones. */
final class Medians {

    private Medians() {}

    /** NaN for no values. */
    static double of(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> s = new ArrayList<>(values);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }
}
