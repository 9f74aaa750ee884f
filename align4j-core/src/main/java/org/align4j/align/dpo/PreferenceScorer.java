package org.align4j.align.dpo;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.InputException;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.data.Example;
import org.align4j.data.PreferencePair;
import org.align4j.data.PreferenceTokenization;
import org.align4j.data.TokenizedSequence;
import org.align4j.model.CausalLM;

/**
 * Scores preference pairs with a policy and its reference, without training: the sequence log-probabilities, DPO's
 * implicit rewards r(x, y) = β (log π_θ(y | x) − log π_ref(y | x)) (Rafailov et al. 2023, eq. 5, the reward a DPO
 * policy defines up to a prompt-dependent constant) and the loss of each requested type.
 *
 * <p>The per-pair loss of a type is the loss of that pair as a batch of one: for every type that is computed per pair
 * this is TRL's per-pair value; for the batch-level ones ({@code aot}, {@code aot_unpaired} sort across the batch,
 * {@code sft} averages the batch's chosen tokens) it is the value a batch of one gives. Without a reference, the
 * scores are reference-free (log π_ref = 0, TRL 0.x's {@code reference_free}).
 */
public final class PreferenceScorer {
    private final CausalLM policy;
    private final ReferenceLogProbs reference;
    private final DpoLossConfig config;
    private final int padId;

    /**
     * A scorer.
     *
     * @param reference the reference, or null for reference-free scores
     * @param config    β, {@code ld_alpha} and the loss types to report (their weights are ignored: each type is
     *                  reported alone)
     * @param padId     the id padding the rows
     */
    public PreferenceScorer(CausalLM policy, ReferenceLogProbs reference, DpoLossConfig config, int padId) {
        if (policy == null || config == null) {
            throw new IllegalArgumentException("policy and loss configuration are required");
        }
        this.policy = policy;
        this.reference = reference;
        this.config = reference == null ? config.withOptions(Map.of("reference_free", true)) : config;
        this.padId = padId;
    }

    /**
     * The scores of one pair.
     *
     * @param source           where the pair came from
     * @param policyChosen     log π_θ(y_w | x) (reduced as {@code ld_alpha} asks)
     * @param policyRejected   log π_θ(y_l | x)
     * @param refChosen        log π_ref(y_w | x), 0 when reference-free
     * @param refRejected      log π_ref(y_l | x), 0 when reference-free
     * @param chosenReward     β (log π_θ(y_w | x) − log π_ref(y_w | x))
     * @param rejectedReward   β (log π_θ(y_l | x) − log π_ref(y_l | x))
     * @param chosenTokens     completion tokens of the chosen response
     * @param rejectedTokens   completion tokens of the rejected response
     * @param losses           per-pair loss of each requested type, by TRL name
     */
    public record PairScore(String source, double policyChosen, double policyRejected, double refChosen,
                            double refRejected, double chosenReward, double rejectedReward, int chosenTokens,
                            int rejectedTokens, Map<String, Double> losses) {
        /**
         * The line {@code align4j score} writes: source, policy_chosen_logps, policy_rejected_logps, (with a
         * reference) ref_chosen_logps and ref_rejected_logps, chosen_reward, rejected_reward, chosen_tokens,
         * rejected_tokens and losses {type: value}.
         */
        public ObjectNode toJson(boolean withReference) {
            ObjectNode row = JsonNodeFactory.instance.objectNode();
            row.put("source", source);
            row.put("policy_chosen_logps", policyChosen);
            row.put("policy_rejected_logps", policyRejected);
            if (withReference) {
                row.put("ref_chosen_logps", refChosen);
                row.put("ref_rejected_logps", refRejected);
            }
            row.put("chosen_reward", chosenReward);
            row.put("rejected_reward", rejectedReward);
            row.put("chosen_tokens", chosenTokens);
            row.put("rejected_tokens", rejectedTokens);
            ObjectNode lossValues = row.putObject("losses");
            losses.forEach(lossValues::put);
            return row;
        }
    }

    /** Whether the scores are reference-free. */
    public boolean referenceFree() {
        return config.referenceFree();
    }

    /**
     * The scores of TRL preference examples tokenized by {@code tokenization} (as DPO prepares them), in order; a pair
     * longer than the policy's positions or with an id outside its vocabulary is bad input naming its source.
     */
    public List<PairScore> scoreExamples(List<Example> examples, PreferenceTokenization tokenization, int batchSize) {
        List<PreferencePair> pairs = new ArrayList<>(examples.size());
        for (Example e : examples) {
            PreferencePair pair = tokenization.tokenize(e);
            pair.requireFits(policy.config().vocabSize(), policy.config().maxPositions());
            pairs.add(pair);
        }
        return score(pairs, batchSize);
    }

    /** The scores of {@code pairs}, in order, running the models on batches of {@code batchSize} pairs. */
    public List<PairScore> score(List<PreferencePair> pairs, int batchSize) {
        return score(pairs, batchSize, true);
    }

    private List<PairScore> score(List<PreferencePair> pairs, int batchSize, boolean withLosses) {
        if (batchSize <= 0) {
            throw new InputException("batch size must be > 0, got " + batchSize);
        }
        List<PairScore> scores = new ArrayList<>(pairs.size());
        for (int from = 0; from < pairs.size(); from += batchSize) {
            scores.addAll(scoreBatch(pairs.subList(from, Math.min(pairs.size(), from + batchSize)), withLosses));
        }
        return scores;
    }

    /**
     * The sequence log-probabilities of one sequence (a prompt and one completion) under the policy and the reference.
     *
     * @param source      where the sequence came from
     * @param policyLogps log π_θ(y | x) (reduced as {@code ld_alpha} asks; plain sum by default)
     * @param refLogps    log π_ref(y | x), 0 when reference-free
     * @param tokens      completion tokens
     */
    public record SequenceScore(String source, double policyLogps, double refLogps, int tokens) {
        /** The implicit reward without β: log π_θ(y | x) − log π_ref(y | x). */
        public double logRatio() {
            return policyLogps - refLogps;
        }
    }

    /**
     * The policy and reference log-probabilities of single sequences (prompt + completion, the completion marked in
     * the loss mask), in order, by the same path as {@link #score}: consecutive sequences are laid out as the chosen
     * and rejected rows of one pair (an odd last sequence is paired with itself), {@code batchSize} such pairs per
     * forward pass. Each sequence's values are those {@link #score} reports for it in a pair.
     *
     * @throws IllegalArgumentException with {@code ld_alpha}, whose reduction couples the two sequences of a pair
     */
    public List<SequenceScore> scoreSequences(List<TokenizedSequence> sequences, int batchSize) {
        if (config.ldAlpha() != null) {
            throw new InputException("single sequences are scored with plain sums; ld_alpha weighs a "
                    + "completion by its pair's shorter length");
        }
        List<PreferencePair> pairs = new ArrayList<>((sequences.size() + 1) / 2);
        for (int i = 0; i < sequences.size(); i += 2) {
            TokenizedSequence first = sequences.get(i);
            pairs.add(new PreferencePair(first.source(), first, sequences.get(Math.min(i + 1, sequences.size() - 1))));
        }
        List<SequenceScore> scores = new ArrayList<>(sequences.size());
        for (PairScore pair : score(pairs, batchSize, false)) {
            scores.add(new SequenceScore(pair.source(), pair.policyChosen(), pair.refChosen(), pair.chosenTokens()));
            if (scores.size() < sequences.size()) {
                scores.add(new SequenceScore(sequences.get(scores.size()).source(), pair.policyRejected(),
                        pair.refRejected(), pair.rejectedTokens()));
            }
        }
        return scores;
    }

    private List<PairScore> scoreBatch(List<PreferencePair> pairs, boolean withLosses) {
        PreferenceBatch batch = PreferenceBatch.of(pairs, padId);
        Var logp = batch.tokenLogProbs(Tape.inference(), policy);
        CompletionLogpReduction reduction = batch.reduction(config);
        int n = batch.size();
        PreferenceBatch.SequenceLogps ref = reference != null ? reference.logps(batch, reduction)
                : new PreferenceBatch.SequenceLogps(new double[n], new double[n]);
        DpoLossInput all = reduction.batch(batch.chosenValues(logp), batch.rejectedValues(logp), ref.chosen(),
                ref.rejected());
        if (!withLosses) {
            List<PairScore> scores = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                scores.add(new PairScore(pairs.get(i).source(), all.policyChosenLogps()[i],
                        all.policyRejectedLogps()[i], ref.chosen()[i], ref.rejected()[i], Double.NaN, Double.NaN,
                        all.chosenLengths()[i], all.rejectedLengths()[i], Map.of()));
            }
            return scores;
        }
        List<PairScore> scores = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            DpoLossInput one = new DpoLossInput(new double[] {all.policyChosenLogps()[i]},
                    new double[] {all.policyRejectedLogps()[i]}, new double[] {ref.chosen()[i]},
                    new double[] {ref.rejected()[i]}, new int[] {all.chosenLengths()[i]},
                    new int[] {all.rejectedLengths()[i]}, new double[] {all.policyChosenTokenLogpSums()[i]}, null,
                    null);
            Map<String, Double> losses = new LinkedHashMap<>();
            DpoLoss.Result rewards = null;
            for (DpoLossType type : config.lossType()) {
                DpoLoss.Result r = new DpoLoss(config.withOptions(Map.of("loss_type", List.of(type), "loss_weights", List.of(1.0))))
                        .compute(one);
                losses.put(type.trlName(), r.loss());
                rewards = r;
            }
            scores.add(new PairScore(pairs.get(i).source(), all.policyChosenLogps()[i], all.policyRejectedLogps()[i],
                    ref.chosen()[i], ref.rejected()[i], rewards.chosenRewards()[0], rewards.rejectedRewards()[0],
                    all.chosenLengths()[i], all.rejectedLengths()[i], losses));
        }
        return scores;
    }
}
