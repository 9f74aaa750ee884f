package org.align4j.cli;

import org.align4j.model.CausalLM;
import org.align4j.model.Models;
import org.align4j.model.Presets;
import picocli.CommandLine.Option;

/** The benchmarks' {@code --arch} / {@code --preset} pair: a named architecture shape, built with random weights. */
final class PresetModelOptions {
    @Option(names = "--arch", defaultValue = "gpt2", description = "gpt2, llama or qwen2 (default ${DEFAULT-VALUE})")
    String arch;
    @Option(names = "--preset", defaultValue = "124M", description = "size preset (default ${DEFAULT-VALUE})")
    String preset;

    /** The preset's model with weights drawn from {@code seed} (no download). */
    CausalLM randomModel(long seed) {
        return Models.randomInit(Presets.config(arch, preset), seed);
    }

    /** "arch preset", as the benchmarks print it. */
    @Override
    public String toString() {
        return arch + " " + preset;
    }
}
