package org.align4j.model;

import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;

/**
 * A causal LM whose forward pass is another model's, built with a {@link LinearAdapter} hook (LoRA adapters, BitNet's
 * quantised linear layers, packed weights): config, hidden states and lm_head are the delegate's; subclasses say
 * which parameters are theirs.
 */
public abstract class DelegatingCausalLM implements CausalLM {
    /** The model that runs the forward pass. */
    protected abstract CausalLM delegate();

    @Override
    public ModelConfig config() {
        return delegate().config();
    }

    @Override
    public Var hiddenStates(Tape tape, ModelInput input) {
        return delegate().hiddenStates(tape, input);
    }

    @Override
    public Var hiddenStates(ModelInput input, KvCache cache) {
        return delegate().hiddenStates(input, cache);
    }

    @Override
    public Var lmHead() {
        return delegate().lmHead();
    }
}
