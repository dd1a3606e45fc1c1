package org.repvgg4j.model;

import java.util.Locale;

/** The two shapes of the same network: multi-branch for training, one 3x3 conv per block for deployment. */
public enum Form {
    TRAIN,
    DEPLOY;

    /** The lower-case name used in model.json and on the command line. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Form parse(String text) {
        for (Form f : values()) {
            if (f.id().equalsIgnoreCase(text.trim())) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown form '" + text + "' (expected train or deploy)");
    }
}
