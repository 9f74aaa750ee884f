package org.align4j.spark;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import org.align4j.InputException;
import org.align4j.align.reward.RewardScoring;
import org.align4j.data.Example;
import org.align4j.model.HfModels;
import org.align4j.model.ModelException;
import org.align4j.model.RewardModel;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code align4j-spark reward}: {@code align4j reward} on a cluster. Each partition holds whole batches of
 * consecutive examples ({@link JsonTables#inBatches}); its executor borrows the reward model its JVM loaded once and
 * scores them with {@link RewardScoring} (a pair's {@code r_chosen}, {@code r_rejected}, {@code chosen_wins}; another
 * example's {@code reward}), so the lines are {@code align4j reward}'s on the same file, number for number.
 */
@Command(name = "reward", mixinStandardHelpOptions = true,
        description = "Score examples (JSONL or Parquet) with a reward model on Spark.")
final class RewardJob implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;
    @Option(names = "--model", required = true,
            description = "the reward model (*ForSequenceClassification, an HF folder every executor can read)")
    String model;
    @Option(names = "--tokenizer", description = "tokenizer folder (default: --model)")
    String tokenizer;
    @Option(names = "--data", required = true, description = "examples to score: JSONL, or a .parquet table")
    String data;
    @Option(names = "--batch-size", defaultValue = "8",
            description = "examples per forward pass, a pair's two sequences together (default ${DEFAULT-VALUE})")
    int batchSize;
    @Option(names = "--out", required = true, description = "output folder of JSONL part files, or a .parquet table")
    String out;

    @Override
    public Integer call() {
        if (batchSize <= 0) {
            throw new InputException("--batch-size must be positive, got " + batchSize);
        }
        Path dir = Path.of(model);
        if (!RewardModel.isSequenceClassification(HfModels.readConfig(dir))) {
            throw new ModelException(dir.resolve("config.json") + ": not a reward model; train one with align4j rm");
        }
        SparkSession spark = cluster.session("align4j reward");
        String rewardModel = model;
        String tokenizerDir = tokenizer != null ? tokenizer : model;
        int batch = batchSize;
        long count = JsonTables.transform(spark, data, out, batchSize, cluster.partitions(spark),
                n -> it -> score(rewardModel, tokenizerDir, batch, it));
        System.out.println("reward: " + count + " examples scored, written to " + out);
        return 0;
    }

    /** The score lines of one partition's examples, in order. */
    static Iterator<String> score(String model, String tokenizerDir, int batchSize, Iterator<JsonTables.Row> rows) {
        List<Example> examples = new ArrayList<>();
        rows.forEachRemaining(r -> examples.add(r.example()));
        if (examples.isEmpty()) {
            return List.<String>of().iterator();
        }
        return FrozenModels.withTokenizer(tokenizerDir, tokenizer -> ExecutorModels.with("reward:" + model,
                RewardModel.class, () -> RewardModel.load(Path.of(model), 0), rm -> {
                    List<String> lines = new ArrayList<>(examples.size());
                    new RewardScoring(rm, tokenizer).score(examples, batchSize).forEach(r -> lines.add(r.toString()));
                    return lines;
                })).iterator();
    }
}
