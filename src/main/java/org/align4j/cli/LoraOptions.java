package org.align4j.cli;

import java.nio.file.Path;
import java.util.List;
import org.align4j.InputException;
import org.align4j.model.CausalLM;
import org.align4j.nn.LoraConfig;
import org.align4j.nn.LoraModel;
import org.align4j.nn.TargetModules;
import picocli.CommandLine.Option;

/**
 * TRL's {@code ModelConfig} PEFT options ({@code --use-peft}, {@code --lora-r}, {@code --lora-alpha},
 * {@code --lora-dropout}, {@code --lora-target-modules}) with TRL's defaults, for the commands that can train LoRA
 * adapters instead of every weight.
 */
final class LoraOptions {
    @Option(names = "--use-peft", description = "Train LoRA adapters on a frozen base (TRL's ModelConfig use_peft);"
            + " the run folder holds the adapter in PEFT's layout. In dpo, without --ref-model the reference is the"
            + " same model with its adapters disabled.")
    boolean usePeft;

    @Option(names = "--lora-r", defaultValue = "16", description = "LoRA rank (lora_r, default ${DEFAULT-VALUE}).")
    int loraR;

    @Option(names = "--lora-alpha", defaultValue = "32", description = "LoRA alpha (default ${DEFAULT-VALUE}).")
    double loraAlpha;

    @Option(names = "--lora-dropout", defaultValue = "0.05", description = "LoRA dropout (default ${DEFAULT-VALUE}).")
    double loraDropout;

    @Option(names = "--lora-target-modules", split = ",", paramLabel = "NAME",
            description = "modules to adapt, e.g. q_proj,v_proj or all-linear (default: PEFT's for the architecture)")
    List<String> loraTargetModules;

    @Option(names = "--adapter", paramLabel = "DIR", description = "with --use-peft: continue training the LoRA adapter"
            + " in DIR (PEFT's layout, as a run folder holds it) on --model instead of new adapters")
    Path adapter;

    /**
     * Whether LoRA adapters are trained ({@code --use-peft}).
     *
     * @throws InputException for {@code --adapter} without {@code --use-peft}
     */
    boolean enabled() {
        if (adapter != null && !usePeft) {
            throw new InputException("--adapter " + adapter + " needs --use-peft");
        }
        return usePeft;
    }

    /**
     * The adapters to train on {@code base}: those in {@code --adapter}, or new ones (recorded with
     * {@code baseName} as their base in the adapter config); {@code seed} seeds new weights and the dropout masks.
     */
    LoraModel adapt(CausalLM base, String baseName, long seed) {
        if (adapter != null) {
            return LoraModel.load(base, adapter, seed);
        }
        TargetModules targets = loraTargetModules == null ? null
                : loraTargetModules.equals(List.of("all-linear")) ? new TargetModules.AllLinear()
                : new TargetModules.Names(loraTargetModules);
        return LoraModel.create(base, new LoraConfig(loraR, loraAlpha, loraDropout, targets, false, baseName), seed);
    }
}
