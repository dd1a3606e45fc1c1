package org.repvgg4j.data;

import java.nio.file.Path;

/** One labelled image to train or evaluate on. */
public record Sample(Path path, int label) {}
