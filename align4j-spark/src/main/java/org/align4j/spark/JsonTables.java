package org.align4j.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.function.LongFunction;
import org.align4j.InputException;
import org.align4j.data.Example;
import org.align4j.data.JsonlDataset;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * The jobs' input and output tables: JSON Lines (one object per line, TRL's dataset files) or Parquet (a path ending
 * in {@code .parquet}), read as JSON lines that keep their place, written as a folder of part files in input order
 * (Spark's file commit protocol: a failed job leaves no {@code _SUCCESS} file and no part file in the folder).
 */
public final class JsonTables {
    private JsonTables() {
    }

    /**
     * A row of an input table.
     *
     * @param index  the row's place among the table's rows (blank lines not counted), from 0
     * @param source where it came from: {@code file:line} for JSON Lines, {@code file#row} for Parquet (the file's
     *               name, as {@link JsonlDataset} names a line)
     * @param json   the row as a JSON object
     */
    public record Row(long index, String source, String json) implements Serializable {
        /** The row as a dataset example ({@link JsonlDataset#parse}: bad input names its source). */
        public Example example() {
            return JsonlDataset.parse(json, source);
        }
    }

    /** Whether {@code path} names a Parquet table. */
    public static boolean isParquet(String path) {
        return path.endsWith(".parquet") || path.endsWith(".parquet/");
    }

    /** The rows of the table at {@code path}; a missing path is bad input. */
    public static JavaRDD<Row> read(SparkSession spark, String path) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        requireExists(jsc, path);
        String name = new Path(path).getName();
        if (isParquet(path)) {
            return spark.read().parquet(path).toJSON().javaRDD().zipWithIndex()
                    .map(t -> new Row(t._2(), name + "#" + t._2(), t._1()));
        }
        return jsc.textFile(path).zipWithIndex().filter(t -> !t._1().isBlank()).zipWithIndex()
                .map(t -> new Row(t._2(), name + ":" + (t._1()._2() + 1), t._1()._1()));
    }

    /**
     * Writes {@code lines} (JSON objects) to {@code path}: Parquet when it ends in {@code .parquet} (its schema inferred
     * from the lines), else JSON Lines part files. An existing path is bad input, not overwritten.
     */
    public static void write(SparkSession spark, JavaRDD<String> lines, String path) {
        requireAbsent(spark, path);
        if (isParquet(path)) {
            spark.read().json(spark.createDataset(lines.rdd(), Encoders.STRING())).write().parquet(path);
        } else {
            lines.saveAsTextFile(path);
        }
    }

    /**
     * {@code rows} in {@code partitions} partitions of whole batches of {@code batchSize} consecutive rows, in order
     * within each: a job that runs its model on each partition's rows in batches of {@code batchSize} then runs the
     * batches a single JVM would, and its numbers are the single JVM's to the bit.
     */
    public static JavaRDD<Row> inBatches(JavaRDD<Row> rows, long count, int batchSize, int partitions) {
        return rows.mapToPair(r -> new Tuple2<>(r.index(), r))
                .repartitionAndSortWithinPartitions(new BatchRanges(count, batchSize, partitions)).values();
    }

    /**
     * Reads the table at {@code input}, runs the work {@code work} makes for its row count on partitions of whole
     * batches of {@code batchSize} rows ({@link #inBatches}), and writes the lines it returns to {@code output}, which
     * must not exist (checked first). Returns the row count.
     */
    public static long transform(SparkSession spark, String input, String output, int batchSize, int partitions,
                                 LongFunction<FlatMapFunction<Iterator<Row>, String>> work) {
        requireAbsent(spark, output);
        JavaRDD<Row> rows = read(spark, input);
        long count = rows.count();
        write(spark, inBatches(rows, count, batchSize, partitions).mapPartitions(work.apply(count)), output);
        return count;
    }

    /** Partitions row indices into contiguous ranges of whole batches. */
    static final class BatchRanges extends Partitioner {
        private final long batches;
        private final int batchSize;
        private final int partitions;

        BatchRanges(long rows, int batchSize, int partitions) {
            if (batchSize <= 0 || partitions <= 0) {
                throw new InputException("batch size and partitions must be > 0, got " + batchSize + " and "
                        + partitions);
            }
            this.batches = Math.max(1, (rows + batchSize - 1) / batchSize);
            this.batchSize = batchSize;
            this.partitions = partitions;
        }

        @Override
        public int numPartitions() {
            return partitions;
        }

        @Override
        public int getPartition(Object key) {
            long batch = (Long) key / batchSize;
            return (int) Math.min(partitions - 1, batch * partitions / batches);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof BatchRanges b && b.batches == batches && b.batchSize == batchSize
                    && b.partitions == partitions;
        }

        @Override
        public int hashCode() {
            return Long.hashCode(batches) * 31 * 31 + batchSize * 31 + partitions;
        }
    }

    /** Refuses an output path that exists: a job never overwrites one (jobs check it before any work). */
    public static void requireAbsent(SparkSession spark, String path) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        try {
            if (fileSystem(jsc, path).exists(new Path(path))) {
                throw new InputException(path + ": the output already exists (a job never overwrites one)");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": " + e.getMessage(), e);
        }
    }

    private static void requireExists(JavaSparkContext jsc, String path) {
        try {
            if (!fileSystem(jsc, path).exists(new Path(path))) {
                throw new InputException(path + ": no such file");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": " + e.getMessage(), e);
        }
    }

    private static FileSystem fileSystem(JavaSparkContext jsc, String path) throws IOException {
        return new Path(path).getFileSystem(jsc.hadoopConfiguration());
    }
}
