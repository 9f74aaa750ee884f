package org.align4j.align.dice;

import java.util.ArrayList;
import java.util.List;
import org.align4j.align.dpo.DpoLossConfig;
import org.align4j.align.dpo.DpoRounds;
import org.align4j.align.dpo.ModelReference;
import org.align4j.align.dpo.PreferenceScorer;
import org.align4j.data.TokenizedSequence;
import org.align4j.model.GenerationConfig;
import org.align4j.tokenizer.Tokenizer;

/** DICE's sampling and scoring in this JVM, on the models in memory. */
final class LocalDiceRollouts implements DiceRollouts {
    private final Tokenizer tokenizer;

    LocalDiceRollouts(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    @Override
    public List<DiceSample> sample(RoundModels models, List<DicePrompt> prompts, int k, GenerationConfig generation) {
        List<int[][]> generated = DpoRounds.sample(models.policy(), prompts.stream().map(DicePrompt::ids).toList(),
                k, generation);
        List<DiceSample> samples = new ArrayList<>(prompts.size() * k);
        for (int p = 0; p < prompts.size(); p++) {
            samples.addAll(DiceRollouts.samples(p, generated.get(p), generation, tokenizer));
        }
        return samples;
    }

    @Override
    public List<DiceSample> score(RoundModels models, List<DicePrompt> prompts, List<DiceSample> samples,
                                  int batchSize, int padId) {
        List<TokenizedSequence> sequences = new ArrayList<>();
        for (DiceSample s : samples) {
            if (s.ended()) {
                DicePrompt prompt = prompts.get(s.prompt());
                sequences.add(DiceRollouts.sequence(prompt.ids(), s, prompt.source()));
            }
        }
        double[] policy = new double[sequences.size()];
        double[] reference = new double[sequences.size()];
        if (!sequences.isEmpty()) {
            List<PreferenceScorer.SequenceScore> scores = new PreferenceScorer(models.policy(),
                    new ModelReference(models.reference()), DpoLossConfig.defaults(), padId)
                    .scoreSequences(sequences, batchSize);
            for (int i = 0; i < scores.size(); i++) {
                policy[i] = scores.get(i).policyLogps();
                reference[i] = scores.get(i).refLogps();
            }
        }
        return DiceRollouts.withScores(samples, policy, reference);
    }
}
