package org.align4j.spark;

import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Option;

/** The options every table job takes: where the cluster is and how many partitions the work is cut into. */
final class ClusterOptions {
    @Option(names = "--spark-master", description = "the master URL, e.g. local[2] (default: spark-submit's)")
    String master;
    @Option(names = "--partitions", description = "partitions of the work (default: Spark's default parallelism)")
    Integer partitions;

    /** The job's session ({@link SparkSessions#session}). */
    SparkSession session(String appName) {
        return SparkSessions.session(master, appName);
    }

    /** {@code --partitions}, else the session's default parallelism. */
    int partitions(SparkSession spark) {
        return partitions != null ? partitions : spark.sparkContext().defaultParallelism();
    }
}
