package org.align4j.model;

import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;

/**
 * The hook through which an adapter such as LoRA joins a model's linear modules without changing the architecture
 * code: after each {@code nn.Linear} (GPT-2: {@code Conv1D}) of the blocks, the modules {@link Models#linearModules}
 * lists, the model hands the adapter the module's input and base output and continues with what it returns. It is
 * called on every forward path, training and KV-cached.
 */
@FunctionalInterface
public interface LinearAdapter {
    /** The plain architecture: every output passes through unchanged. */
    LinearAdapter NONE = (tape, module, input, output) -> output;

    /**
     * The output of linear module {@code module} (its name, e.g. {@code model.layers.0.self_attn.q_proj}) for
     * {@code input} [rows, in], given the base module's output [rows, out]. That output was just computed and nothing
     * has read it yet, so the adapter may write into it.
     */
    Var apply(Tape tape, String module, Var input, Var output);

    /**
     * The whole output [rows, out] of linear module {@code module} for {@code input}, computed by the adapter in place
     * of the base module, or null (the default) to run the base module and hand its output to {@link #apply}. An
     * adapter that replaces a module, such as BitNet's BitLinear, saves the base product; the model reads the module's
     * weight and bias only when this returns null.
     */
    default Var replace(Tape tape, String module, Var input) {
        return null;
    }
}
