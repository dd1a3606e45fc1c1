package org.repvgg4j.spark;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** The columns going into and coming out of the scoring step. */
public final class ScoreTable {

    public static final String PATH = "path";
    public static final String CONTENT = "content";
    public static final String TOP_CLASSES = "top_classes";
    public static final String TOP_SCORES = "top_scores";
    public static final String SCORES = "scores";
    public static final String ERROR = "error";

    /**
     * An image to score: its path, and its bytes when they were read by Spark (a folder read as
     * binary files); without bytes the executor reads the path itself (a list file's images).
     */
    public static final StructType INPUT = new StructType()
            .add(PATH, DataTypes.StringType, false)
            .add(CONTENT, DataTypes.BinaryType, true);

    /**
     * One row per image: the top classes with their softmax scores (best first), all class scores in
     * the model's class order, and why the image could not be scored (then the score columns are null).
     */
    public static final StructType OUTPUT = new StructType()
            .add(PATH, DataTypes.StringType, false)
            .add(TOP_CLASSES, DataTypes.createArrayType(DataTypes.StringType, false), true)
            .add(TOP_SCORES, DataTypes.createArrayType(DataTypes.FloatType, false), true)
            .add(SCORES, DataTypes.createArrayType(DataTypes.FloatType, false), true)
            .add(ERROR, DataTypes.StringType, true);

    private ScoreTable() {}
}
