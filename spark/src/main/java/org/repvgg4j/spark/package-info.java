/**
 * Batch scoring on Apache Spark: list files or image folders in, Parquet out.
 */
package org.repvgg4j.spark;
