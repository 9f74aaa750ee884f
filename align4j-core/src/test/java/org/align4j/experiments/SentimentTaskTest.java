package org.align4j.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.align4j.data.Example;
import org.align4j.model.CausalLM;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sentiment task: prompts, the cached SFT model, sampling, the reward/KL evaluation and the pairs. */
class SentimentTaskTest {
    @TempDir
    Path tmp;

    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @Test
    void promptsAreShortDistinctDisjointAndDeterministic() throws IOException {
        SentimentTask.Config config = new SentimentTask.Config(2, 40, 20, 1, 4);
        SentimentTask task = SentimentTask.prepare(config, 7, tmp, QUIET, false);
        assertEquals(40, task.trainPrompts().size());
        assertEquals(20, task.heldOutPrompts().size());
        Set<List<Integer>> train = new HashSet<>();
        for (int[] p : task.trainPrompts()) {
            assertTrue(p.length >= SentimentTask.MIN_PROMPT_TOKENS && p.length <= SentimentTask.MAX_PROMPT_TOKENS);
            train.add(Arrays.stream(p).boxed().toList());
        }
        assertEquals(40, train.size());
        for (int[] p : task.heldOutPrompts()) {
            assertFalse(train.contains(Arrays.stream(p).boxed().toList()));
        }
        List<int[]> again = SentimentTask.prompts(task.tokenizer(), 60, 7);
        assertTrue(Arrays.equals(again.get(25), task.trainPrompts().get(5)));
        assertFalse(Arrays.equals(SentimentTask.prompts(task.tokenizer(), 60, 8).get(25), again.get(25)));

        SentimentTask reread = SentimentTask.prepare(config, 7, tmp, QUIET, false);
        assertTrue(reread.sft().fromCache());
        assertFalse(task.sft().fromCache());
        assertEquals(task.sft().heldOutLoss(), reread.sft().heldOutLoss());
        assertTrue(Files.isRegularFile(tmp.resolve("sft-2steps-seed7/model.safetensors")));
    }

    @Test
    void theSftModelHasZeroKlAndPairsAreLabelledByTheGroundTruth() throws IOException {
        SentimentTask task = SentimentTask.prepare(new SentimentTask.Config(2, 6, 4, 2, 6), 3, tmp, QUIET, false);
        CausalLM copy = task.loadSftModel();
        SentimentTask.Evaluation same = task.evaluate(task.reference(), 11);
        SentimentTask.Evaluation copied = task.evaluate(copy, 11);
        assertEquals(0.0, same.kl());
        assertEquals(0.0, copied.kl(), 1e-9);
        assertEquals(same.reward(), copied.reward());
        assertEquals(8, same.samples());
        assertTrue(same.meanTokens() <= 6, "at most max_new_tokens per sample: " + same.meanTokens());

        List<int[]> prompts = task.heldOutPrompts().subList(0, 1);
        double[] logp = SentimentTask.completionLogProbs(copy, List.of(prompts.get(0)), List.of(new int[] {5, 9}));
        assertTrue(logp[0] < 0);

        List<Example> pairs = task.preferencePairs(task.reference(), task.trainPrompts(), 5);
        assertTrue(pairs.size() <= 6 * task.trainPrompts().size());
        for (Example e : pairs) {
            Example.TokenizedPreference p = (Example.TokenizedPreference) e;
            assertTrue(task.groundTruth(p.chosenIds()) > task.groundTruth(p.rejectedIds()), p.source());
        }
        assertEquals(0.5, task.groundTruth(task.tokenizer().encode("the table", false)));
        assertTrue(task.groundTruth(task.tokenizer().encode(" a good happy day", false)) > 0.9);
    }
}
