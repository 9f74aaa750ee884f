package org.align4j.align.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.align4j.align.TinyModels;
import org.align4j.model.CausalLM;
import org.align4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link GrpoRollouts}: groups of completions, the truncation mask, the completion metrics. */
class GrpoRolloutsTest {
    @TempDir
    Path tmp;

    @Test
    void completionsWithoutEosAreMaskedAndCounted() throws IOException {
        Tokenizer tokenizer = OnlineFixtures.tokenizer(tmp.resolve("tok"));
        CausalLM model = TinyModels.random("llama", 8);
        GrpoConfig config = GrpoConfig.defaults().withOptions(Map.of("output_dir", tmp.toString(),
                "per_device_train_batch_size", 8, "num_generations", 4, "max_completion_length", 3,
                "mask_truncated_completions", true));
        GrpoConfig.Options o = config.options();
        GrpoRollouts rollouts = new GrpoRollouts(model, null, tokenizer,
                OnlineTraining.prompts(tokenizer, OnlineFixtures.prompts(8)), o, config.training(),
                List.of(RewardFunctions.length()), (rewards, names, kl, active) -> GroupAdvantages.grpo(rewards,
                names, new double[] {1}, 4, o.scaleRewards(), o.aggregation()), false, List.of(0), 0);
        GrpoRollouts.GenerationBatch batch = rollouts.generate(0, 0);
        assertEquals(8, batch.samples().size());
        int truncated = 0;
        int active = 0;
        double length = 0;
        for (int i = 0; i < 8; i++) {
            GrpoSample s = batch.samples().get(i);
            int[] c = s.completionIds();
            boolean ended = c[c.length - 1] == 0;
            assertTrue(ended || c.length == 3, "a completion stops at eos or at max_completion_length");
            assertEquals(!ended, s.masked(), "masked exactly when truncated");
            assertEquals(batch.samples().get(i / 4 * 4).promptIndex(), s.promptIndex(), "groups of 4 share a prompt");
            truncated += ended ? 0 : 1;
            active += s.masked() ? 0 : c.length;
            length += c.length / 8.0;
        }
        assertEquals(active, batch.activeTokens());
        assertEquals(truncated / 8.0, batch.metrics().get("completions/clipped_ratio"), 1e-15);
        assertEquals(length, batch.metrics().get("completions/mean_length"), 1e-12);
        assertEquals(length, batch.metrics().get("rewards/length/mean"), 1e-12);
    }
}
