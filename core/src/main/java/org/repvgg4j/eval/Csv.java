package org.repvgg4j.eval;

import java.util.ArrayList;
import java.util.List;

/** RFC 4180 quoting for the CSV files reports write, and the reading of one such line back. */
public final class Csv {

    private Csv() {}

    public static String field(String value) {
        if (value.indexOf(',') < 0 && value.indexOf('"') < 0 && value.indexOf('\n') < 0 && value.indexOf('\r') < 0) {
            return value;
        }
        return '"' + value.replace("\"", "\"\"") + '"';
    }

    /**
     * The fields of one line written with {@link #field}; a quoted field may hold commas and doubled
     * quotes (our writers keep line breaks out of fields, so a record is always one line).
     */
    public static List<String> split(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    current.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    current.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                fields.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        if (quoted) {
            throw new IllegalArgumentException("unterminated quoted field in: " + line);
        }
        fields.add(current.toString());
        return fields;
    }
}
