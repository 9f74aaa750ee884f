package org.align4j.spark;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.align4j.align.dpo.DpoConfig;
import org.align4j.align.dpo.DpoLossConfig;
import org.align4j.align.dpo.ModelReference;
import org.align4j.align.dpo.PreferenceScorer;
import org.align4j.cli.ScoreCommand;
import org.align4j.data.Example;
import org.align4j.data.PreferenceTokenization;
import org.align4j.data.TruncationMode;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code align4j-spark score}: {@code align4j score} on a cluster. Each partition holds whole batches of consecutive
 * preference pairs ({@link JsonTables#inBatches}); its executor tokenizes them, borrows the policy (and reference) that
 * its JVM loaded once ({@link ExecutorModels}) and scores them with {@link PreferenceScorer} (the log-probabilities,
 * the DPO implicit rewards β(log π − log π_ref), Rafailov et al. 2023 eq. 5, and each loss type's per-pair loss). The
 * lines are those of {@code align4j score} on the same file, number for number.
 */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = "Score preference pairs (JSONL or Parquet) with a policy and a reference on Spark.")
final class ScoreJob implements Callable<Integer> {

    @Mixin
    ClusterOptions cluster;
    @Option(names = "--model", required = true, description = "the policy (an HF folder every executor can read)")
    String model;
    @Option(names = "--ref-model", description = "the reference; without it the scores are reference-free")
    String refModel;
    @Option(names = "--tokenizer", description = "tokenizer folder (default: --model)")
    String tokenizer;
    @Option(names = "--data", required = true, description = "preference pairs: JSONL, or a .parquet table")
    String data;
    @Option(names = "--config", description = "YAML or JSON file of the scoring options, as align4j score reads it")
    Path config;
    @Option(names = "--batch-size", defaultValue = "8", description = "pairs per forward pass (default ${DEFAULT-VALUE})")
    int batchSize;
    @Option(names = "--out", required = true, description = "output folder of JSONL part files, or a .parquet table")
    String out;

    /** What every executor needs to score its partition. */
    record Settings(String model, String refModel, String tokenizer, Integer maxLength, TruncationMode truncation,
                    DpoLossConfig loss, int batchSize) implements Serializable {
    }

    @Override
    public Integer call() {
        DpoConfig resolved = ScoreCommand.scoreConfig(config, Map.of());
        Settings settings = new Settings(model, refModel, tokenizer != null ? tokenizer : model,
                resolved.options().maxLength(), resolved.options().truncationMode(), resolved.loss(), batchSize);
        SparkSession spark = cluster.session("align4j score");
        long count = JsonTables.transform(spark, data, out, batchSize, cluster.partitions(spark),
                n -> it -> score(settings, it));
        System.out.println("score: " + count + " pairs" + (refModel == null ? " (reference-free)" : "")
                + " written to " + out);
        return 0;
    }

    /** The score lines of one partition's pairs, in order. */
    static Iterator<String> score(Settings s, Iterator<JsonTables.Row> rows) {
        List<Example> examples = new ArrayList<>();
        rows.forEachRemaining(r -> examples.add(r.example()));
        if (examples.isEmpty()) {
            return List.<String>of().iterator();
        }
        List<PreferenceScorer.PairScore> scores = FrozenModels.withTokenizer(s.tokenizer(), tokenizer -> {
            PreferenceTokenization tokenization = new PreferenceTokenization(tokenizer, s.maxLength(),
                    s.truncation());
            int padId = tokenizer.paddingId(null);
            return FrozenModels.withModel(s.model(), policy -> s.refModel() == null
                    ? new PreferenceScorer(policy, null, s.loss(), padId).scoreExamples(examples, tokenization,
                    s.batchSize())
                    : FrozenModels.withModel(s.refModel(), reference -> new PreferenceScorer(policy,
                    new ModelReference(reference), s.loss(), padId).scoreExamples(examples, tokenization,
                    s.batchSize())));
        });
        List<String> lines = new ArrayList<>(scores.size());
        for (PreferenceScorer.PairScore score : scores) {
            lines.add(score.toJson(s.refModel() != null).toString());
        }
        return lines.iterator();
    }
}
