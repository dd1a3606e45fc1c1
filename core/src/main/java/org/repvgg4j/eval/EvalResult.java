package org.repvgg4j.eval;

/** Loss and top-k accuracy (as fractions) over a set of labelled images. */
public record EvalResult(double loss, double top1, double top5, int images, int skipped) {}
