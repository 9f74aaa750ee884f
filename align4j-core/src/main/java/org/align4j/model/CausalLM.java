package org.align4j.model;

import java.util.Map;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.tensor.Tensor;

/**
 * A decoder-only language model: parameters named as in the Hugging Face checkpoint, a forward pass to the final
 * hidden states, and the lm_head weight (the token embedding when tied). Losses are computed from the hidden states
 * with the fused lm_head of {@link org.align4j.autograd.Ops#tokenLogProbs}.
 */
public interface CausalLM {

    /** The architecture. */
    ModelConfig config();

    /** Trainable tensors by HF name, in a stable order (tied weights appear once). */
    Map<String, Var> parameters();

    /** Final hidden states [batch * seq, hidden] (after the final norm). */
    Var hiddenStates(Tape tape, ModelInput input);

    /**
     * Incremental inference forward: the final hidden states [batch * seq, hidden] of the tokens of {@code input},
     * which follow the positions {@code cache} already holds. Their keys and values are appended to the cache and
     * they attend to every cached position (causally, padding excluded); {@code input}'s mask and position ids
     * cover the new tokens only. Nothing is recorded for backward.
     */
    Var hiddenStates(ModelInput input, KvCache cache);

    /**
     * The next-token logits [batch, vocab] after {@code input}: {@link #hiddenStates(ModelInput, KvCache)} projected
     * by the lm_head at the last position of each row only.
     */
    default Tensor nextTokenLogits(ModelInput input, KvCache cache) {
        Var hidden = hiddenStates(input, cache);
        int[] lastRows = new int[input.batch()];
        for (int b = 0; b < lastRows.length; b++) {
            lastRows[b] = b * input.seq() + input.seq() - 1;
        }
        return Ops.logits(hidden, lmHead(), lastRows);
    }

    /** The output projection [vocab, hidden]. */
    Var lmHead();
}
