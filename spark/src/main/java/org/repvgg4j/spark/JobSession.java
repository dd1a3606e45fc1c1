package org.repvgg4j.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** The Spark session of a job: the master spark-submit gives (--master), else {@code local[*]}. */
final class JobSession {

    private JobSession() {}

    static SparkSession start(String appName) {
        SparkSession.Builder builder = SparkSession.builder().appName(appName);
        // spark-submit passes --master as the spark.master property; run directly (java -cp or
        // tools/spark_local.sh) the job uses every core of this machine.
        if (!new SparkConf().contains("spark.master")) {
            builder.master("local[*]");
        }
        return builder.getOrCreate();
    }
}
