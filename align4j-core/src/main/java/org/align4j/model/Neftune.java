package org.align4j.model;

import java.util.SplittableRandom;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;

/**
 * NEFTune (Jain et al. 2023, "NEFTune: Noisy Embeddings Improve Instruction Finetuning", Algorithm 1), as HF's
 * trainer hooks it onto the input embeddings when {@code neftune_noise_alpha} is set: in training forwards only, the
 * token embeddings [batch · seq, d] get uniform noise in [−α / sqrt(seq · d), α / sqrt(seq · d)], seq being the padded
 * row length. The noise is a constant of the forward, so gradients pass through unchanged.
 */
final class Neftune {
    private Neftune() {
    }

    /** Adds the noise of {@code tape}'s α to {@code embeddings} (just computed, read by nothing yet) in place. */
    static void addNoise(Tape tape, Var embeddings, int seq) {
        double alpha = tape.neftuneNoiseAlpha();
        if (alpha == 0 || !tape.isRecording()) {
            return;
        }
        float[] values = embeddings.value().data();
        int hidden = embeddings.value().dim(1);
        double magnitude = alpha / Math.sqrt((double) seq * hidden);
        SplittableRandom random = new SplittableRandom(tape.nextNeftuneSeed());
        for (int i = 0; i < embeddings.value().size(); i++) {
            values[i] += (float) ((2 * random.nextDouble() - 1) * magnitude);
        }
    }
}
