package org.align4j.align.dice;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.align4j.align.TinyModels;
import org.align4j.align.dpo.DpoLossConfig;
import org.align4j.align.dpo.ModelReference;
import org.align4j.align.dpo.PreferenceScorer;
import org.align4j.data.Example;
import org.align4j.data.PreferencePair;
import org.align4j.data.PreferenceTokenization;
import org.align4j.data.Text;
import org.align4j.data.TruncationMode;
import org.align4j.data.TokenizedSequence;
import org.align4j.model.CausalLM;
import org.align4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

/** DICE's pieces: α sweep, pair selection, skipping, cut responses, experience replay counts, implicit scores. */
class DiceTest {
    private static final List<Integer> EOS = List.of(0);
    private static final DiceConfig.LengthUnit CHARS = DiceConfig.LengthUnit.CHARS;

    /** An ended (or cut) scored sample of {@code length} characters (a letter per index) and score {@code s}. */
    private static DiceSample sample(int prompt, int index, double s, int length, boolean ended) {
        int[] ids = ended ? new int[] {5, 0} : new int[] {5, 6};
        return new DiceSample(prompt, index, ids, String.valueOf((char) ('a' + index)).repeat(length), ended, s, 0.0);
    }

    /**
     * Prompt 0: A (s 10, 50 chars), B (s 8, 20 chars), C (s 0, 20 chars) and a cut response (s 100, 5 chars).
     * r = s − α|y|: α 0 and 0.05 pick A over C (gap +30), α 0.1 and 0.12 pick B over C (gap 0), α 0.5 picks B over A
     * (gap −30). Prompt 1 has one ended response and a cut one, so it is skipped.
     */
    private static List<List<DiceSample>> handMade() {
        return List.of(
                List.of(sample(0, 0, 10, 50, true), sample(0, 1, 8, 20, true), sample(0, 2, 0, 20, true),
                        sample(0, 3, 100, 5, false)),
                List.of(sample(1, 0, 3, 10, true), sample(1, 1, 50, 10, false)));
    }

    @Test
    void theSweepPicksTheSmallestAlphaThatBalancesChosenAndRejectedLengths() {
        LengthRegularization.Sweep sweep = LengthRegularization.sweep(handMade(), List.of(0.0, 0.05, 0.1, 0.12, 0.5),
                CHARS, 2);
        assertEquals(0.1, sweep.alpha(), "0.1 and 0.12 both give a gap of 0; the smaller wins");
        assertEquals(new LengthRegularization.LengthStats(1, 50, 20), sweep.before());
        assertEquals(new LengthRegularization.LengthStats(1, 20, 20), sweep.after());
        assertEquals(List.of(30.0, 30.0, 0.0, 0.0, -30.0), sweep.points().stream()
                .map(LengthRegularization.SweepPoint::gap).toList());
        DicePair pair = sweep.pairs().getFirst();
        assertEquals(1, pair.chosen().sample());
        assertEquals(2, pair.rejected().sample());
        assertEquals(8 - 0.1 * 20, pair.chosenReward(), 1e-12);
        assertEquals(-0.1 * 20, pair.rejectedReward(), 1e-12);
    }

    @Test
    void pairsAreArgmaxAndArgminOfTheRegularisedRewardOverEndedResponsesOnly() {
        List<DicePair> pairs = LengthRegularization.pairs(handMade(), 0, CHARS, 2);
        assertEquals(1, pairs.size(), "prompt 1 has a single ended response: skipped");
        assertEquals(0, pairs.getFirst().chosen().sample(), "the cut response (s 100) is never chosen");
        assertEquals(2, pairs.getFirst().rejected().sample());
        assertEquals(10.0, pairs.getFirst().chosenReward());
        assertEquals(0, LengthRegularization.pairs(handMade(), 0, CHARS, 4).size(), "3 ended < 4 required");
        List<List<DiceSample>> tied = List.of(List.of(sample(0, 0, 1, 3, true), sample(0, 1, 1.5, 4, true)));
        assertTrue(LengthRegularization.pairs(tied, 0.5, CHARS, 2).isEmpty(), "r ties at α 0.5: no pair");
        List<List<DiceSample>> sameText = List.of(List.of(sample(0, 0, 1, 3, true),
                new DiceSample(0, 1, new int[] {6, 0}, "aaa", true, 2, 0)));
        assertTrue(LengthRegularization.pairs(sameText, 0, CHARS, 2).isEmpty(), "the same text twice: no pair");
        LengthRegularization.Sweep none = LengthRegularization.sweep(sameText, List.of(0.0, 1.0), CHARS, 2);
        assertEquals(0.0, none.alpha());
        assertTrue(none.pairs().isEmpty() && Double.isNaN(none.after().gap()));
    }

    @Test
    void responsesWithoutEosAreCutAndTokenLengthsLeaveTheEosOut() {
        DiceSample ended = DiceSample.generated(0, 0, new int[] {7, 8, 3}, List.of(3, 4)).withResponse("ab");
        DiceSample cut = DiceSample.generated(0, 1, new int[] {7, 8, 9}, List.of(3, 4)).withResponse("abc");
        assertTrue(ended.ended());
        assertFalse(cut.ended());
        assertEquals(2, ended.length(DiceConfig.LengthUnit.TOKENS));
        assertEquals(3, cut.length(DiceConfig.LengthUnit.TOKENS));
        assertEquals(2, ended.length(CHARS));
        assertArrayEquals(new int[] {7, 8}, ended.contentIds());
    }

    @Test
    void replayCountsFollowTheAuthorsFormula() {
        assertEquals(new ExperienceReplay.Counts(5, 5), ExperienceReplay.counts(10, 8, 0.5));
        assertEquals(new ExperienceReplay.Counts(3, 3), ExperienceReplay.counts(10, 3, 0.5));
        assertEquals(new ExperienceReplay.Counts(7, 2), ExperienceReplay.counts(10, 8, 0.25), "⌊7.5⌋, ⌊0.25·7/0.75⌋");
        assertEquals(new ExperienceReplay.Counts(8, 0), ExperienceReplay.counts(10, 8, 0.0));
        assertEquals(new ExperienceReplay.Counts(6, 0), ExperienceReplay.counts(0, 6, 0.5), "no offline data");
        assertThrows(IllegalArgumentException.class, () -> ExperienceReplay.counts(10, 8, 1.0));
    }

    @Test
    void replayDrawsOfflinePairsOnlyFromPromptsTheGeneratedPairsDoNotUse() {
        List<String> generated = IntStream.range(0, 8).mapToObj(i -> "p" + i).toList();
        List<String> offline = IntStream.range(0, 10).mapToObj(i -> "p" + i).toList();
        ExperienceReplay.Mix<String, String> mix = ExperienceReplay.mix(generated, g -> g, offline, o -> o, 0.5, 3);
        assertEquals(5, mix.generated().size());
        assertEquals(5, mix.offline().size());
        assertEquals(0, mix.offlineShort());
        Set<String> prompts = new HashSet<>(mix.generated());
        mix.offline().forEach(o -> assertTrue(prompts.add(o), o + " is used twice"));
        assertEquals(mix, ExperienceReplay.mix(generated, g -> g, offline, o -> o, 0.5, 3), "seeded");

        List<String> fewOffline = IntStream.range(0, 6).mapToObj(i -> "p" + i).toList();
        List<String> allGenerated = IntStream.range(0, 6).mapToObj(i -> "p" + i).toList();
        ExperienceReplay.Mix<String, String> short3 = ExperienceReplay.mix(allGenerated, g -> g, fewOffline, o -> o,
                0.5, 3);
        assertEquals(new ExperienceReplay.Counts(3, 3), short3.asked());
        assertEquals(3, short3.offline().size(), "the 3 prompts the generated pairs left");
        ExperienceReplay.Mix<String, String> tooFew = ExperienceReplay.mix(List.of("p0"), g -> g,
                List.of("p0", "p0", "p0", "p0"), o -> o, 0.5, 3);
        assertEquals(new ExperienceReplay.Counts(1, 1), tooFew.asked());
        assertTrue(tooFew.offline().isEmpty(), "every offline pair has the generated pair's prompt");
        assertEquals(1, tooFew.offlineShort());
    }

    @Test
    void textPromptsAreTheIdsDpoTokenizesAsThePromptOfAPair() throws Exception {
        Tokenizer tokenizer = Tokenizer.load(Path.of(DiceTest.class.getResource("/embedded/tokenizer").toURI()));
        DicePrompt prompt = DicePrompt.texts(List.of("The old man said"), tokenizer).getFirst();
        PreferencePair pair = new PreferenceTokenization(tokenizer, null, TruncationMode.KEEP_START).tokenize(
                new Example.Preference("p", new Text.Plain("The old man said"), new Text.Plain(" yes"),
                        new Text.Plain(" no")));
        int promptTokens = pair.chosen().length() - pair.chosen().targetCount();
        assertArrayEquals(Arrays.copyOf(pair.chosen().ids(), promptTokens), prompt.ids());
        assertThrows(IllegalArgumentException.class, () -> DicePrompt.texts(List.of("x"), null));
    }

    @Test
    void alphaGridsParseAsRangesOrLists() {
        List<Double> grid = DiceConfig.parseAlphaGrid("0:1:0.001");
        assertEquals(1001, grid.size());
        assertEquals(1.0, grid.getLast());
        assertEquals(0.123, grid.get(123));
        assertEquals(DiceConfig.DEFAULT_ALPHA_GRID, grid);
        assertEquals(List.of(0.0, 0.5, 2.0), DiceConfig.parseAlphaGrid("0, 0.5,2"));
        assertThrows(IllegalArgumentException.class, () -> DiceConfig.parseAlphaGrid("0:1"));
        assertThrows(IllegalArgumentException.class, () -> DiceConfig.parseAlphaGrid("a,b"));
    }

    @Test
    void theImplicitRewardScoreIsWhatPreferenceScorerReportsForTheSameSequences() {
        CausalLM policy = TinyModels.random("llama", 1);
        CausalLM reference = TinyModels.random("llama", 2);
        List<TokenizedSequence> sequences = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            int promptLength = 2 + i % 3;
            int length = promptLength + 1 + i;
            int shift = 7 * i + 1;
            int[] ids = IntStream.range(0, length).map(t -> (shift + 3 * t) % TinyModels.VOCAB).toArray();
            boolean[] mask = new boolean[length];
            for (int t = promptLength; t < length; t++) {
                mask[t] = true;
            }
            sequences.add(new TokenizedSequence(ids, mask, "s" + i));
        }
        PreferenceScorer scorer = new PreferenceScorer(policy, new ModelReference(reference),
                DpoLossConfig.defaults(), 0);
        List<PreferenceScorer.SequenceScore> single = scorer.scoreSequences(sequences, 2);
        assertEquals(5, single.size());
        List<PreferencePair> pairs = List.of(new PreferencePair("a", sequences.get(3), sequences.get(0)),
                new PreferencePair("b", sequences.get(4), sequences.get(1)),
                new PreferencePair("c", sequences.get(2), sequences.get(4)));
        List<PreferenceScorer.PairScore> scored = scorer.score(pairs, 3);
        assertScore(scored.get(0).policyChosen(), scored.get(0).refChosen(), single.get(3));
        assertScore(scored.get(0).policyRejected(), scored.get(0).refRejected(), single.get(0));
        assertScore(scored.get(1).policyRejected(), scored.get(1).refRejected(), single.get(1));
        assertScore(scored.get(2).policyChosen(), scored.get(2).refChosen(), single.get(2));
        assertScore(scored.get(1).policyChosen(), scored.get(1).refChosen(), single.get(4));
        assertEquals(scored.get(0).chosenReward(), 0.1 * single.get(3).logRatio(), 1e-5,
                "the implicit reward is β times the log-ratio");
        assertEquals(4, single.get(3).tokens());
        assertThrows(IllegalArgumentException.class, () -> new PreferenceScorer(policy, null,
                DpoLossConfig.defaults().withOptions(Map.of("ld_alpha", 0.5)), 0).scoreSequences(sequences, 2));
    }

    private static void assertScore(double policy, double reference, PreferenceScorer.SequenceScore score) {
        assertEquals(policy, score.policyLogps(), 1e-5, score.source());
        assertEquals(reference, score.refLogps(), 1e-5, score.source());
        assertTrue(score.policyLogps() < 0 && score.refLogps() < 0 && score.policyLogps() != score.refLogps());
    }
}
