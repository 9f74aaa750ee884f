package org.align4j.spark;

import org.align4j.align.dpo.DpoTask;
import org.align4j.cli.DpoCommand;
import org.align4j.data.PreferencePair;
import org.align4j.train.TrainingTask;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code align4j-spark dpo}: {@code align4j dpo --use-peft} (DPO, Rafailov et al. 2023, eq. 7, of LoRA adapters, the
 * reference being the base with its adapters disabled) with each micro-batch's loss and adapter gradient computed
 * data-parallel on a Spark cluster's executors ({@link DataParallelDpoTask}). It is the core command with two more
 * options, {@code --spark-master} and {@code --num-shards}: the same data, LoRA and training options
 * ({@code --resume-from-checkpoint} included), and the same run folder, written by the driver.
 */
@Command(name = "dpo", description = {
        "Train LoRA adapters with DPO (TRL's DPOTrainer, --use-peft), each micro-batch's gradient computed on the"
                + " Spark executors, split into --num-shards shards; writes the run folder align4j dpo writes.",
        "--model must be readable by every executor at the same path.",
        "Data: {prompt, chosen, rejected} (strings or message lists), {chosen, rejected} (implicit prompt) or "
                + "{prompt_ids, chosen_ids, rejected_ids}.",
        "Options: TRL's DPOConfig / TrainingArguments names as flags (--beta 0.1) or in --config (beta: 0.1)."})
final class DpoJob extends DpoCommand {
    @Option(names = "--spark-master", paramLabel = "URL",
            description = "Spark master, e.g. local[4] (default: the one spark-submit sets)")
    private String sparkMaster;

    @Option(names = "--num-shards", paramLabel = "N",
            description = "shards of each micro-batch, one Spark task each (default: Spark's default parallelism)")
    private Integer numShards;

    /** The DPO task with its micro-batches' gradients computed on the cluster of {@code --spark-master}. */
    @Override
    protected TrainingTask<PreferencePair> taskToTrain(DpoTask task) {
        JavaSparkContext spark = JavaSparkContext.fromSparkContext(
                SparkSessions.session(sparkMaster, "align4j-spark dpo").sparkContext());
        return new DataParallelDpoTask(task, modelDirectory(), frozenStorage(), spark,
                numShards != null ? numShards : spark.defaultParallelism());
    }
}
