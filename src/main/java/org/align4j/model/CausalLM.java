package org.align4j.model;

import java.util.Map;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;

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

    /** The output projection [vocab, hidden]. */
    Var lmHead();
}
