/**
 * align4j on Apache Spark: jobs for {@code spark-submit} that run the engine's sampling, scoring and LoRA training on a
 * cluster's executors, with Spark's own partitioning, aggregation and broadcast and no cluster code of ours.
 */
package org.align4j.spark;
