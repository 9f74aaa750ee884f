package org.align4j.spark;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import org.align4j.InputException;
import org.align4j.align.dice.DicePrompt;
import org.align4j.align.dice.DiceRollouts;
import org.align4j.align.dice.DiceSample;
import org.align4j.align.dpo.DpoRounds;
import org.align4j.model.Generator;
import org.align4j.model.GenerationConfig;
import org.align4j.model.HfModels;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code align4j-spark generate}: K sampled completions of every prompt of a prompt-only table ({@code {"prompt":
 * ...}}, a string or messages), as DICE's sampling stage draws them ({@link DpoRounds#sample(Generator, int[], int,
 * GenerationConfig, long)}: one batch of K copies per prompt, seeded by the prompt's place,
 * {@link DpoRounds#promptSeeds}), so a prompt's completions do not depend on the partitioning and equal a single
 * JVM's. One line per completion: DICE's sample line ({@link DiceSample#toJson}) with the prompt's {@code source}.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Sample K completions per prompt (JSONL or Parquet) on Spark.")
final class GenerateJob implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;
    @Option(names = "--model", required = true, description = "the policy (an HF folder every executor can read)")
    String model;
    @Option(names = "--tokenizer", description = "tokenizer folder (default: --model)")
    String tokenizer;
    @Option(names = "--data", required = true, description = "prompt-only examples: JSONL, or a .parquet table")
    String data;
    @Option(names = "--num-generations", defaultValue = "4",
            description = "completions per prompt, K (TRL's num_generations; default ${DEFAULT-VALUE})")
    int numGenerations;
    @Option(names = "--max-new-tokens", description = "longest completion (default: the model's generation config)")
    Integer maxNewTokens;
    @Option(names = "--temperature", defaultValue = "1.0", description = "sampling temperature (default ${DEFAULT-VALUE})")
    double temperature;
    @Option(names = "--top-k", defaultValue = "0", description = "sample among the K most likely tokens, 0: all")
    int topK;
    @Option(names = "--top-p", defaultValue = "1.0", description = "nucleus sampling (default ${DEFAULT-VALUE})")
    double topP;
    @Option(names = "--seed", defaultValue = "0", description = "sampling seed (default ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--out", required = true, description = "output folder of JSONL part files, or a .parquet table")
    String out;

    @Override
    public Integer call() {
        if (numGenerations < 1) {
            throw new InputException("--num-generations must be >= 1, got " + numGenerations);
        }
        Path modelDir = Path.of(model);
        GenerationConfig defaults = GenerationConfig.load(modelDir, HfModels.readConfig(modelDir));
        GenerationConfig generation = new GenerationConfig(maxNewTokens != null ? maxNewTokens
                : defaults.maxNewTokens(), true, temperature, topK, topP, defaults.eosTokenIds(),
                defaults.padTokenId(), seed, defaults.repetitionPenalty(), 1);
        SparkSession spark = cluster.session("align4j generate");
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        String tokenizerDir = tokenizer != null ? tokenizer : model;
        int k = numGenerations;
        String policy = model;
        List<Broadcast<long[]>> seeds = new ArrayList<>(1);
        long count = JsonTables.transform(spark, data, out, 1, cluster.partitions(spark), n -> {
            Broadcast<long[]> prompts = jsc.broadcast(DpoRounds.promptSeeds(seed, Math.toIntExact(n)));
            seeds.add(prompts);
            return it -> generate(policy, tokenizerDir, generation, k, prompts.value(), it);
        });
        seeds.forEach(Broadcast::destroy);
        System.out.println("generate: " + count + " prompts x " + k + " completions written to " + out);
        return 0;
    }

    /** The completion lines of one partition's prompts, in order. */
    static Iterator<String> generate(String model, String tokenizerDir, GenerationConfig generation, int k,
                                     long[] seeds, Iterator<JsonTables.Row> rows) {
        List<JsonTables.Row> part = new ArrayList<>();
        rows.forEachRemaining(part::add);
        return FrozenModels.withTokenizer(tokenizerDir, tokenizer -> {
            List<DicePrompt> prompts = DicePrompt.of(part.stream().map(JsonTables.Row::example).toList(), tokenizer);
            return FrozenModels.withModel(model, policy -> {
                Generator generator = new Generator(policy);
                List<String> lines = new ArrayList<>(part.size() * k);
                for (int p = 0; p < part.size(); p++) {
                    int index = Math.toIntExact(part.get(p).index());
                    int[][] completions = DpoRounds.sample(generator, prompts.get(p).ids(), k, generation,
                            seeds[index]);
                    for (DiceSample sample : DiceRollouts.samples(index, completions, generation, tokenizer)) {
                        lines.add(sample.toJson().put("source", prompts.get(p).source()).toString());
                    }
                }
                return lines;
            });
        }).iterator();
    }
}
