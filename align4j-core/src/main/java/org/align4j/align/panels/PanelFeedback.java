package org.align4j.align.panels;

import java.util.ArrayList;
import java.util.List;
import org.align4j.align.dpo.DpoLossConfig;
import org.align4j.align.dpo.PreferenceScorer;
import org.align4j.data.DataException;
import org.align4j.data.SftTokenization;
import org.align4j.data.TokenizedSequence;
import org.align4j.data.TruncationMode;
import org.align4j.data.panels.PanelOverlap;
import org.align4j.data.panels.PanelTask;
import org.align4j.data.panels.ParagraphPanel;
import org.align4j.model.CausalLM;
import org.align4j.tokenizer.Tokenizer;

/**
 * The AI feedback on a condition panel (in the sense of RLAIF, Lee et al. 2023, "RLAIF: Scaling Reinforcement
 * Learning from Human Feedback with AI Feedback": a model, not a person, ranks the samples): a panel is better when
 * the writer model gives the true next paragraph a higher likelihood given it. The score of a panel is
 * <pre>score = mean log p_writer(paragraph | writing prompt of the panel) per token − copy_penalty × overlap</pre>
 * where the writing prompt is {@link org.align4j.data.panels.PanelText#writingPrompt}, the tokens are those the
 * {@code write} task trains on (the paragraph and the eos, {@link PanelTask#WRITE} tokenized as SFT tokenizes a
 * prompt-completion example; a prompt longer than the writer's positions loses its start), the log-probabilities
 * come from {@link PreferenceScorer#scoreSequences} (the {@code score} command's path, reference-free), and the
 * overlap is {@link PanelOverlap#of}, the share of the paragraph's words that the panel's written fields hold: without
 * the penalty a builder that sees the paragraph could win by restating it.
 */
public final class PanelFeedback {
    private final CausalLM writer;
    private final SftTokenization tokenization;
    private final double copyPenalty;
    private final int batchSize;
    private final PreferenceScorer scorer;

    /**
     * What the writer says of one panel.
     *
     * @param logLikelihood mean log-probability per token of the paragraph (the raw feedback)
     * @param tokens        the paragraph's scored tokens (its eos included)
     * @param overlap       {@link PanelOverlap#of} the paragraph and the panel
     * @param score         logLikelihood − copy_penalty × overlap
     */
    public record Score(double logLikelihood, int tokens, double overlap, double score) {
        /** The writer's negative log-likelihood of the paragraph, summed over its tokens. */
        public double nll() {
            return -logLikelihood * tokens;
        }
    }

    /**
     * Feedback from {@code writer} (frozen: it is only run) reading {@code tokenizer}'s ids, scoring
     * {@code batchSize} sequences per forward pass.
     */
    public PanelFeedback(CausalLM writer, Tokenizer tokenizer, double copyPenalty, int batchSize) {
        this.writer = writer;
        this.tokenization = new SftTokenization(tokenizer, true);
        this.copyPenalty = copyPenalty;
        this.batchSize = batchSize;
        this.scorer = new PreferenceScorer(writer, null, DpoLossConfig.defaults(), tokenizer.paddingId(null));
    }

    /** The score of a panel: {@code logLikelihood − copyPenalty × overlap}. */
    public static double score(double logLikelihood, double overlap, double copyPenalty) {
        return logLikelihood - copyPenalty * overlap;
    }

    /** The scores of {@code panels}, each the panel a writer is shown before its paragraph, in order. */
    public List<Score> score(List<ParagraphPanel> panels) {
        List<TokenizedSequence> sequences = new ArrayList<>(panels.size());
        int positions = writer.config().maxPositions();
        for (ParagraphPanel p : panels) {
            TokenizedSequence whole = tokenization.tokenize(PanelTask.WRITE.example(p, 0, "").toExample());
            TokenizedSequence kept = whole.truncate(positions, TruncationMode.KEEP_END);
            if (kept.targetCount() < whole.targetCount()) {
                throw new DataException(p.source() + ": the paragraph takes " + whole.targetCount() + " tokens, more "
                        + "than the writer's " + positions + " positions leave after a panel");
            }
            kept.requireFits(writer.config().vocabSize(), positions, p.source() + " (writer)");
            sequences.add(kept);
        }
        List<Score> scores = new ArrayList<>(panels.size());
        List<PreferenceScorer.SequenceScore> logps = sequences.isEmpty() ? List.of()
                : scorer.scoreSequences(sequences, batchSize);
        for (int i = 0; i < panels.size(); i++) {
            PreferenceScorer.SequenceScore s = logps.get(i);
            double logLikelihood = s.policyLogps() / s.tokens();
            double overlap = PanelOverlap.of(panels.get(i).paragraph(), panels.get(i).panel());
            scores.add(new Score(logLikelihood, s.tokens(), overlap, score(logLikelihood, overlap, copyPenalty)));
        }
        return scores;
    }
}
