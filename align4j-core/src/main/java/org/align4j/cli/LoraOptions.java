package org.align4j.cli;

import java.nio.file.Path;
import java.util.List;
import org.align4j.InputException;
import java.util.Map;
import org.align4j.model.CausalLM;
import org.align4j.model.RewardModel;
import org.align4j.nn.LoraConfig;
import org.align4j.nn.LoraModel;
import org.align4j.nn.PeftTaskType;
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
            + " same model with its adapters disabled; in rm the score head is trained whole and saved in the adapter.")
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
     * The causal LM to train from {@code dir}: every weight, loaded as {@code --save-dtype} says, or under
     * {@code --use-peft} adapters on the base, frozen and stored as {@code --torch-dtype} says.
     */
    CausalLM modelToTrain(Path dir, TorchDtypeOption torchDtype, SaveDtypeOption saveDtype, long seed) {
        return enabled() ? adapt(torchDtype.loadFrozen(dir), dir.toString(), seed) : saveDtype.load(dir);
    }

    /**
     * The adapters to train on {@code base}: those in {@code --adapter}, or new ones (recorded with
     * {@code baseName} as their base in the adapter config); {@code seed} seeds new weights and the dropout masks.
     */
    LoraModel adapt(CausalLM base, String baseName, long seed) {
        return adapter != null ? LoraModel.load(base, adapter, seed) : LoraModel.create(base, config(baseName), seed);
    }

    /**
     * {@code model} with adapters on its backbone, its head trained whole (PEFT's SEQ_CLS task): those in
     * {@code --adapter}, whose saved head replaces the model's, or new ones as {@link #adapt(CausalLM, String, long)}.
     */
    RewardModel adapt(RewardModel model, String baseName, long seed) {
        LoraModel backbone = adapter != null
                ? LoraModel.load(model.backbone(), adapter, seed, PeftTaskType.SEQ_CLS,
                        Map.of(RewardModel.SCORE_WEIGHT, model.scoreWeight()))
                : LoraModel.create(model.backbone(), config(baseName), seed);
        return model.withBackbone(backbone);
    }

    private LoraConfig config(String baseName) {
        TargetModules targets = loraTargetModules == null ? null
                : loraTargetModules.equals(List.of("all-linear")) ? new TargetModules.AllLinear()
                : new TargetModules.Names(loraTargetModules);
        return new LoraConfig(loraR, loraAlpha, loraDropout, targets, false, baseName);
    }
}
