package org.align4j.align.panels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.align4j.data.SftTokenization;
import org.align4j.data.TokenizedSequence;
import org.align4j.data.panels.ConditionPanel;
import org.align4j.data.panels.PanelTask;
import org.align4j.data.panels.ParagraphPanel;
import org.align4j.experiments.SentimentTask;
import org.align4j.model.CausalLM;
import org.align4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PanelFeedback}: the score's definition, and the writer's likelihood it reads. */
class PanelFeedbackTest {
    @TempDir
    Path dir;

    @Test
    void theCopyPenaltyFlipsARanking() {
        double copyingLikelihood = -2.0;
        double copyingOverlap = 0.9;
        double otherLikelihood = -2.5;
        double otherOverlap = 0.1;
        assertTrue(PanelFeedback.score(copyingLikelihood, copyingOverlap, 0)
                > PanelFeedback.score(otherLikelihood, otherOverlap, 0), "without the penalty the copying panel wins");
        assertTrue(PanelFeedback.score(copyingLikelihood, copyingOverlap, 1)
                < PanelFeedback.score(otherLikelihood, otherOverlap, 1), "with λ = 1: -2.9 against -2.6");
        assertEquals(-2.9, PanelFeedback.score(copyingLikelihood, copyingOverlap, 1), 1e-12);
    }

    @Test
    void aPanelsScoreIsTheWritersMeanLogLikelihoodPerParagraphTokenMinusThePenalty() throws IOException {
        Tokenizer tokenizer = PanelModels.tokenizer(dir);
        CausalLM writer = PanelModels.random(4);
        ParagraphPanel extractive = PanelModels.panels(PanelModels.STORIES).get(1);
        ParagraphPanel copying = new ParagraphPanel(extractive.story(), extractive.index(), new ConditionPanel(
                extractive.panel().latestParagraphs(), List.of(), List.of(), extractive.paragraph(), "", List.of()));
        List<PanelFeedback.Score> raw = new PanelFeedback(writer, tokenizer, 0, 1).score(List.of(extractive,
                copying));
        List<PanelFeedback.Score> penalised = new PanelFeedback(writer, tokenizer, 2, 8).score(List.of(extractive,
                copying));

        TokenizedSequence sequence = new SftTokenization(tokenizer, true).tokenize(PanelTask.WRITE.example(extractive,
                0, "").toExample());
        int promptLength = 0;
        while (!sequence.lossMask()[promptLength]) {
            promptLength++;
        }
        int[] prompt = Arrays.copyOf(sequence.ids(), promptLength);
        int[] paragraph = Arrays.copyOfRange(sequence.ids(), promptLength, sequence.length());
        assertEquals(tokenizer.encode(extractive.paragraph(), false).length + 1, paragraph.length,
                "the paragraph's tokens and the eos");
        double sum = SentimentTask.completionLogProbs(writer, List.of(prompt), List.of(paragraph))[0];
        PanelFeedback.Score s = raw.getFirst();
        assertEquals(paragraph.length, s.tokens());
        assertEquals(sum / paragraph.length, s.logLikelihood(), 1e-5);
        assertEquals(-sum, s.nll(), 1e-4);
        assertEquals(s.logLikelihood(), s.score(), "no penalty");

        assertEquals(1.0, raw.get(1).overlap(), "a plan that restates the paragraph");
        for (int i = 0; i < 2; i++) {
            assertEquals(raw.get(i).logLikelihood(), penalised.get(i).logLikelihood(), 1e-6, "batching aside");
            assertEquals(penalised.get(i).logLikelihood() - 2 * penalised.get(i).overlap(), penalised.get(i).score(),
                    1e-12);
        }
    }
}
