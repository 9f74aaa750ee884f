package org.align4j.spark;

import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** A test class's Spark session on {@code local[2]}, started once for its tests, and its scratch folder. */
abstract class LocalSparkTest {
    @TempDir
    static Path dir;
    static SparkSession spark;

    @BeforeAll
    static void startSpark() {
        spark = SparkSessions.session("local[2]", "align4j tests");
    }

    @AfterAll
    static void stopSpark() {
        spark.stop();
    }
}
