package org.repvgg4j.cli;

import java.util.Locale;

/** Number formats shared by the commands' tables. */
final class Format {

    private Format() {}

    static String millions(long n) {
        return String.format(Locale.ROOT, "%.2fM", n / 1e6);
    }

    static String giga(long n) {
        return String.format(Locale.ROOT, "%.3fG", n / 1e9);
    }

    static String fixed(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }
}
