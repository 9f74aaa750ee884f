package org.align4j.align.dice;

import java.nio.file.Path;

/**
 * What one DICE round produced ({@link DiceLoop}), as its stage files record it, so that a resumed round reports the
 * same as a fresh one.
 *
 * @param round          the round, from 1
 * @param directory      its folder ({@code output/round_k})
 * @param model          the DPO model π_{k+1} it trained ({@code round_k/dpo})
 * @param samples        responses sampled
 * @param endedSamples   responses that ended within {@code max_new_tokens} (the others were dropped)
 * @param alpha          the α the sweep chose
 * @param before         chosen / rejected lengths of the pairs at α = 0
 * @param after          chosen / rejected lengths of the pairs at the chosen α
 * @param replay         n_gen and n_off of experience replay
 * @param offlineTaken   offline pairs in the mix (n_off unless too few offline prompts were left)
 */
public record DiceRound(int round, Path directory, Path model, int samples, int endedSamples, double alpha,
                        LengthRegularization.LengthStats before, LengthRegularization.LengthStats after,
                        ExperienceReplay.Counts replay, int offlineTaken) {
}
