package org.align4j.spark;

import org.apache.spark.sql.SparkSession;

/** How the jobs get their Spark session. */
public final class SparkSessions {
    private SparkSessions() {
    }

    /**
     * The session of a job named {@code appName}: on {@code master} when given (e.g. {@code local[2]}), else on the
     * master spark-submit set. In local mode the web UI is off (nothing would look at it).
     */
    public static SparkSession session(String master, String appName) {
        SparkSession.Builder builder = SparkSession.builder().appName(appName);
        if (master != null) {
            builder.master(master);
        }
        if (master != null && master.startsWith("local")) {
            builder.config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4");
        }
        return builder.getOrCreate();
    }
}
