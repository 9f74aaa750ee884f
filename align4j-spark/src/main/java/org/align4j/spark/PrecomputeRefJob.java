package org.align4j.spark;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.align4j.align.dpo.DpoConfig;
import org.align4j.align.dpo.DpoLossConfig;
import org.align4j.align.dpo.ModelReference;
import org.align4j.align.dpo.PrecomputedReference;
import org.align4j.align.dpo.PreferencePairs;
import org.align4j.data.Example;
import org.align4j.data.JsonlDataset;
import org.align4j.data.PreferencePair;
import org.align4j.data.PreferenceTokenization;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModels;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.TrainingArguments;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code align4j-spark precompute-ref}: TRL's {@code precompute_ref_log_probs} on a cluster. The driver tokenizes the
 * preference pairs as {@code align4j dpo} does with the same options ({@link PreferencePairs#prepare}); the executors
 * run the reference on batches of {@code precompute_ref_batch_size} consecutive pairs, the batches
 * {@link PrecomputedReference#compute} runs in one JVM; the driver writes the values into the DPO run's output folder
 * as the cache file {@code ref_logps-<key>.json} ({@link PrecomputedReference#write}), which {@code align4j dpo
 * --precompute-ref-log-probs} with that output folder then reads instead of running the reference itself.
 */
@Command(name = "precompute-ref", mixinStandardHelpOptions = true,
        description = "Compute a DPO run's reference log-probs on Spark, into the cache file align4j dpo reads.")
final class PrecomputeRefJob implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;
    @Option(names = "--model", required = true,
            description = "the policy: the reference when --ref-model is not given (an HF folder every executor can read)")
    String model;
    @Option(names = "--ref-model", description = "the reference model (default: --model)")
    String refModel;
    @Option(names = "--tokenizer", description = "tokenizer folder (default: --model)")
    String tokenizer;
    @Option(names = "--data", required = true, description = "the DPO run's training pairs: JSONL, or a .parquet table")
    String data;
    @Option(names = "--config", description = "the DPO run's YAML or JSON config (max_length, truncation_mode, "
            + "ld_alpha, precompute_ref_batch_size, pad_token are read)")
    Path config;
    @Option(names = "--output-dir", required = true, description = "the DPO run's output_dir (the cache file goes here)")
    Path outputDir;

    @Override
    public Integer call() {
        DpoConfig args = config == null ? DpoConfig.defaults()
                : DpoConfig.fromOptions(TrainingArguments.readOptions(config), config.toString(), DpoConfig.defaults());
        String reference = refModel != null ? refModel : model;
        Path referenceDir = Path.of(reference);
        Tokenizer processingClass = Tokenizer.load(Path.of(tokenizer != null ? tokenizer : model));
        SparkSession spark = cluster.session("align4j precompute-ref");
        List<Example> examples = new ArrayList<>();
        for (JsonTables.Row r : JsonTables.read(spark, data).collect()) {
            examples.add(JsonlDataset.parse(r.json(), r.source()));
        }
        CausalLM referenceModel = HfModels.loadFrozen(referenceDir, HfModels.checkpointStorage(referenceDir), null);
        List<PreferencePair> pairs = PreferencePairs.prepare(new PreferenceTokenization(processingClass,
                        args.options().maxLength(), args.options().truncationMode()), examples, referenceModel,
                args.options().maxLength(), "precompute-ref", "train");
        int padId = PreferencePairs.padId(processingClass, referenceModel, args.options().padToken());
        int batchSize = args.precomputeRefBatchSize(false);
        List<List<PreferencePair>> batches = new ArrayList<>();
        for (int from = 0; from < pairs.size(); from += batchSize) {
            batches.add(new ArrayList<>(pairs.subList(from, Math.min(pairs.size(), from + batchSize))));
        }
        DpoLossConfig loss = args.loss();
        int parts = cluster.partitions(spark);
        List<double[][]> values = JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(batches, Math.max(1, Math.min(parts, batches.size())))
                .map(batch -> FrozenModels.withModel(reference, ref -> logps(batch, ref, loss, padId)))
                .collect();
        double[] chosen = new double[pairs.size()];
        double[] rejected = new double[pairs.size()];
        int next = 0;
        for (double[][] batch : values) {
            System.arraycopy(batch[0], 0, chosen, next, batch[0].length);
            System.arraycopy(batch[1], 0, rejected, next, batch[1].length);
            next += batch[0].length;
        }
        Path file = PrecomputedReference.write(outputDir, pairs, referenceModel, loss, chosen, rejected);
        System.out.println("precompute-ref: reference log-probs of " + pairs.size() + " pairs written to " + file);
        return 0;
    }

    /** {chosen, rejected} log-probabilities of one batch of pairs under {@code reference}. */
    private static double[][] logps(List<PreferencePair> batch, CausalLM reference, DpoLossConfig loss, int padId) {
        PrecomputedReference computed = PrecomputedReference.compute(batch, new ModelReference(reference), loss,
                batch.size(), padId);
        double[][] out = new double[2][batch.size()];
        for (int i = 0; i < batch.size(); i++) {
            double[] v = computed.values(batch.get(i));
            out[0][i] = v[0];
            out[1][i] = v[1];
        }
        return out;
    }
}
