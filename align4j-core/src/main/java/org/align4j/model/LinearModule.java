package org.align4j.model;

/**
 * A linear module of a model's blocks, as PEFT sees it when it attaches an adapter.
 *
 * @param name        the module's name: its weight's name without {@code .weight}, e.g.
 *                    {@code transformer.h.0.attn.c_attn}
 * @param inFeatures  input width
 * @param outFeatures output width
 * @param conv1d      whether the weight is stored [in, out] (GPT-2's {@code Conv1D}, PEFT's {@code fan_in_fan_out})
 *                    rather than [out, in] ({@code nn.Linear})
 */
public record LinearModule(String name, int inFeatures, int outFeatures, boolean conv1d) {
    /** The weight tensor's name. */
    public String weightName() {
        return name + ".weight";
    }

    /** The last component of the name ({@code c_attn}, {@code q_proj}...), as PEFT's "all-linear" collects them. */
    public String leafName() {
        return name.substring(name.lastIndexOf('.') + 1);
    }
}
