package org.align4j.align.reward;

import java.util.Map;
import java.util.Set;
import org.align4j.InputException;
import org.align4j.train.OptionRecords;

/**
 * The reward-modelling options of TRL's {@code RewardConfig} (the trainer options are
 * {@link org.align4j.train.TrainingArguments}; RewardConfig's own trainer defaults are learning_rate 1e-4 and
 * logging_steps 10).
 *
 * @param maxLength                max_length: pairs whose chosen or rejected sequence has more tokens are dropped
 *                                 from the dataset, not truncated (1024; null keeps every pair)
 * @param centerRewardsCoefficient center_rewards_coefficient: weight of the auxiliary loss
 *                                 mean((r_chosen + r_rejected)²) that pulls rewards towards mean zero (Eisenstein et
 *                                 al. 2023, "Helping or Herding? Reward Model Ensembles Mitigate but do not Eliminate
 *                                 Reward Hacking", arXiv 2312.09244, eq. 2; TRL suggests 0.01); null: none
 * @param padToken                 pad_token: the padding token, whose id also locates the pooled token; null: the
 *                                 tokenizer's pad token, else its eos token
 * @param disableDropout           disable_dropout (true): no dropout in the model; here that turns LoRA's
 *                                 lora_dropout off (the models apply no dropout of their own)
 * @param eosToken                 eos_token: the token appended to each side (null: the tokenizer's eos)
 * @param chatTemplatePath         chat_template_path: a Jinja file whose chat template renders conversational pairs and
 *                                 is saved with the model (null: the tokenizer's)
 */
public record RewardConfig(Integer maxLength, Double centerRewardsCoefficient, String padToken,
                           boolean disableDropout, String eosToken, String chatTemplatePath) {
    /** The file a run saves its resolved options to (the training options, then these). */
    public static final String FILE_NAME = "reward_config.json";
    /** The option names, snake_case as in TRL. */
    public static final Set<String> OPTION_NAMES = OptionRecords.names(RewardConfig.class);

    /** Validates the values. */
    public RewardConfig {
        if (maxLength != null && maxLength <= 0) {
            throw new InputException("max_length must be positive, got " + maxLength);
        }
        if (centerRewardsCoefficient != null && !Double.isFinite(centerRewardsCoefficient)) {
            throw new InputException("center_rewards_coefficient must be a finite number, got "
                    + centerRewardsCoefficient);
        }
    }

    /** TRL's defaults. */
    public static RewardConfig defaults() {
        return new RewardConfig(1024, null, null, true, null, null);
    }

    /**
     * {@code defaults()} with the given options, read as every configuration record is ({@link OptionRecords}):
     * values may be text, as from the command line, and null sets max_length or center_rewards_coefficient to None.
     *
     * @throws InputException naming {@code source} and the option for an unknown name, a wrong type or a bad value
     */
    public static RewardConfig fromOptions(Map<String, ?> options, String source) {
        return OptionRecords.merge(defaults(), options, RewardConfig.class, source);
    }
}
