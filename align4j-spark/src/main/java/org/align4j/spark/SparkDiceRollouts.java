package org.align4j.spark;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.align4j.align.dice.DicePrompt;
import org.align4j.align.dice.DiceRollouts;
import org.align4j.align.dice.DiceSample;
import org.align4j.align.dpo.DpoLossConfig;
import org.align4j.align.dpo.DpoRounds;
import org.align4j.align.dpo.ModelReference;
import org.align4j.align.dpo.PreferenceScorer;
import org.align4j.data.TokenizedSequence;
import org.align4j.model.GenerationConfig;
import org.align4j.model.Generator;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * DICE's sampling and scoring stages on a Spark cluster ({@code dice --spark-master}): the executors read π_k and
 * π_ref from the folders the loop names (a starting model's, or a round's DPO folder: on a file system every executor
 * reads). Sampling sends ranges of consecutive prompts, each sampled as {@link DpoRounds#sample(Generator, int[], int,
 * GenerationConfig, long)} with the prompt's own seed; scoring sends the batches of ended samples that one JVM scores;
 * so the round's {@code samples.jsonl} and {@code scores.jsonl} are a single JVM's, to the bit.
 */
public final class SparkDiceRollouts implements DiceRollouts {
    private final String master;
    private final String tokenizerFolder;

    /** Registered for {@link java.util.ServiceLoader}: the core {@code dice} command finds the cluster through it. */
    public static final class Provider implements DiceRollouts.Provider {
        @Override
        public DiceRollouts create(String master, Path tokenizerFolder) {
            return new SparkDiceRollouts(master, tokenizerFolder.toAbsolutePath().toString());
        }
    }

    private SparkDiceRollouts(String master, String tokenizerFolder) {
        this.master = master;
        this.tokenizerFolder = tokenizerFolder;
    }

    /** A prompt as the executors get it: its place and ids. */
    private record PromptIds(int index, int[] ids) implements Serializable {
    }

    /** A batch of ended samples to score, each with its prompt's ids. */
    private record ScoreBatch(List<DiceSample> samples, List<int[]> prompts) implements Serializable {
    }

    @Override
    public List<DiceSample> sample(RoundModels models, List<DicePrompt> prompts, int k, GenerationConfig generation) {
        long[] seeds = DpoRounds.promptSeeds(generation.seed(), prompts.size());
        List<PromptIds> shipped = new ArrayList<>(prompts.size());
        for (int p = 0; p < prompts.size(); p++) {
            shipped.add(new PromptIds(p, prompts.get(p).ids()));
        }
        String policy = folder(models.policyFolder());
        String tokenizer = tokenizerFolder;
        List<List<DiceSample>> perPrompt = context().parallelize(shipped, slices(shipped.size()))
                .map(p -> FrozenModels.withTokenizer(tokenizer, tok -> FrozenModels.withModel(policy, model ->
                        DiceRollouts.samples(p.index(), DpoRounds.sample(new Generator(model), p.ids(), k,
                                generation, seeds[p.index()]), generation, tok))))
                .collect();
        List<DiceSample> samples = new ArrayList<>(prompts.size() * k);
        perPrompt.forEach(samples::addAll);
        return samples;
    }

    @Override
    public List<DiceSample> score(RoundModels models, List<DicePrompt> prompts, List<DiceSample> samples,
                                  int batchSize, int padId) {
        List<ScoreBatch> batches = new ArrayList<>();
        List<DiceSample> batch = new ArrayList<>();
        List<int[]> batchPrompts = new ArrayList<>();
        for (DiceSample s : samples) {
            if (s.ended()) {
                batch.add(s);
                batchPrompts.add(prompts.get(s.prompt()).ids());
                if (batch.size() == batchSize) {
                    batches.add(new ScoreBatch(batch, batchPrompts));
                    batch = new ArrayList<>();
                    batchPrompts = new ArrayList<>();
                }
            }
        }
        if (!batch.isEmpty()) {
            batches.add(new ScoreBatch(batch, batchPrompts));
        }
        String policy = folder(models.policyFolder());
        String reference = folder(models.referenceFolder());
        List<double[][]> scored = batches.isEmpty() ? List.of() : context()
                .parallelize(batches, slices(batches.size()))
                .map(b -> FrozenModels.withModel(policy, pi -> FrozenModels.withModel(reference, ref ->
                        logps(b, pi, ref, padId))))
                .collect();
        int ended = (int) samples.stream().filter(DiceSample::ended).count();
        double[] policyLogps = new double[ended];
        double[] refLogps = new double[ended];
        int next = 0;
        for (double[][] b : scored) {
            System.arraycopy(b[0], 0, policyLogps, next, b[0].length);
            System.arraycopy(b[1], 0, refLogps, next, b[1].length);
            next += b[0].length;
        }
        return DiceRollouts.withScores(samples, policyLogps, refLogps);
    }

    /** {policy, reference} log-probabilities of one batch's responses, as one JVM scores that batch. */
    private static double[][] logps(ScoreBatch b, org.align4j.model.CausalLM policy,
                                    org.align4j.model.CausalLM reference, int padId) {
        List<TokenizedSequence> sequences = new ArrayList<>(b.samples().size());
        for (int i = 0; i < b.samples().size(); i++) {
            sequences.add(DiceRollouts.sequence(b.prompts().get(i), b.samples().get(i), "prompt " + b.samples().get(i)
                    .prompt()));
        }
        List<PreferenceScorer.SequenceScore> scores = new PreferenceScorer(policy, new ModelReference(reference),
                DpoLossConfig.defaults(), padId).scoreSequences(sequences, sequences.size());
        double[][] out = new double[2][scores.size()];
        for (int i = 0; i < scores.size(); i++) {
            out[0][i] = scores.get(i).policyLogps();
            out[1][i] = scores.get(i).refLogps();
        }
        return out;
    }

    private JavaSparkContext context() {
        return JavaSparkContext.fromSparkContext(SparkSessions.session(master, "align4j dice").sparkContext());
    }

    private int slices(int items) {
        return Math.max(1, Math.min(items, context().defaultParallelism()));
    }

    private static String folder(Path path) {
        if (path == null) {
            throw new IllegalStateException("the Spark rollouts need the round's model folders");
        }
        return path.toAbsolutePath().toString();
    }
}
