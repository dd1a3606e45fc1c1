package org.repvgg4j.eval;

/** RFC 4180 quoting for the CSV files reports write. */
public final class Csv {

    private Csv() {}

    public static String field(String value) {
        if (value.indexOf(',') < 0 && value.indexOf('"') < 0 && value.indexOf('\n') < 0 && value.indexOf('\r') < 0) {
            return value;
        }
        return '"' + value.replace("\"", "\"\"") + '"';
    }
}
