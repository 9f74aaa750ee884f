package org.align4j.align.ppo;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.align4j.InputException;
import org.align4j.train.AdamW;
import org.align4j.train.AlgorithmConfig;
import org.align4j.train.OptionRecords;
import org.align4j.train.TrainingArguments;

/**
 * TRL's {@code PPOConfig} (with the rollout options of its base {@code OnPolicyConfig}): the shared
 * {@link TrainingArguments} with PPO's default {@code logging_steps} 10, and the PPO options of {@link Options}, plus
 * the adaptive KL controller of TRL 0.x ({@code adap_kl_ctrl}, {@code init_kl_coef}, {@code target},
 * {@code horizon}; Ziegler et al. 2019, eq. 2). A configuration file (YAML or JSON) uses the snake_case names of both
 * in one mapping.
 *
 * <p>Batch sizes as TRL derives them on one process: a rollout ({@code batch_size}) has
 * {@code per_device_train_batch_size * gradient_accumulation_steps} prompts; each PPO epoch splits it into
 * {@code num_mini_batches} mini-batches (one optimizer step each) of micro-batches of
 * {@code per_device_train_batch_size}. {@code total_episodes} (default {@code num_train_epochs} x the number of
 * prompts) sets the number of updates, {@code ceil(total_episodes / batch_size)}, over which the learning rate is
 * scheduled.
 *
 * @param training the shared trainer's options (learning rate and schedule, batch sizes, AdamW, max_grad_norm, seed,
 *                 save_steps, output_dir...)
 * @param options  the PPO options
 */
public record PpoConfig(TrainingArguments training, Options options) implements AlgorithmConfig {
    /** The file a run saves its resolved configuration to. */
    public static final String FILE_NAME = "ppo_config.json";

    private static final Set<String> OPTION_NAMES = OptionRecords.names(Options.class);

    /**
     * The PPO options under TRL's names, with TRL's defaults.
     *
     * @param numPpoEpochs                 {@code num_ppo_epochs} (4): passes over each rollout
     * @param whitenRewards                {@code whiten_rewards} (false): whiten the per-token rewards (scale only)
     * @param klCoef                       {@code kl_coef} (0.05): β of the per-token penalty −β·KL
     * @param klEstimator                  {@code kl_estimator} ("k1"): k1 = log π − log π_ref, or k3 =
     *                                     (r − 1) − log r with r = π_ref / π (Schulman, "Approximating KL
     *                                     Divergence", 2020)
     * @param cliprange                    {@code cliprange} (0.2): ε of the clipped ratio
     * @param vfCoef                       {@code vf_coef} (0.1): weight of the value loss
     * @param cliprangeValue               {@code cliprange_value} (0.2): how far a value prediction may move from
     *                                     the rollout's before its loss is clipped
     * @param gamma                        {@code gamma} (1.0): discount
     * @param lam                          {@code lam} (0.95): GAE λ
     * @param numMiniBatches               {@code num_mini_batches} (1)
     * @param totalEpisodes                {@code total_episodes} (null: num_train_epochs x prompts)
     * @param localRolloutForwardBatchSize {@code local_rollout_forward_batch_size} (64): rows per generation and
     *                                     per no-grad forward of the rollout
     * @param responseLength               {@code response_length} (53): new tokens at most per response
     * @param stopToken                    {@code stop_token} (null): "eos" stops responses at the eos token
     * @param stopTokenId                  {@code stop_token_id} (null): stop responses at this id (not with
     *                                     stop_token)
     * @param temperature                  {@code temperature} (0.7): sampling temperature, also applied to the
     *                                     logits of every log-probability
     * @param missingEosPenalty            {@code missing_eos_penalty} (null): subtracted from the score of a
     *                                     response without an eos token
     * @param adapKlCtrl                   {@code adap_kl_ctrl} (false here; TRL 0.x: true): adapt the KL
     *                                     coefficient towards {@code target}
     * @param initKlCoef                   {@code init_kl_coef} (null: kl_coef): the adaptive controller's start
     * @param target                       {@code target} (6.0): the KL (nats per response) the controller aims at
     * @param horizon                      {@code horizon} (10000): the controller's horizon in episodes
     */
    public record Options(int numPpoEpochs, boolean whitenRewards, double klCoef, String klEstimator, double cliprange,
                          double vfCoef, double cliprangeValue, double gamma, double lam, int numMiniBatches,
                          Long totalEpisodes, int localRolloutForwardBatchSize, int responseLength, String stopToken,
                          Integer stopTokenId, double temperature, Double missingEosPenalty, boolean adapKlCtrl,
                          Double initKlCoef, double target, double horizon) {

        /** Validates every option (messages name the option). */
        public Options {
            require(numPpoEpochs > 0, "num_ppo_epochs must be > 0, got " + numPpoEpochs);
            require(klCoef >= 0 && Double.isFinite(klCoef), "kl_coef must be >= 0, got " + klCoef);
            require(klEstimator != null, "kl_estimator must be set");
            KlEstimator.of(klEstimator);
            require(cliprange > 0, "cliprange must be > 0, got " + cliprange);
            require(cliprangeValue > 0, "cliprange_value must be > 0, got " + cliprangeValue);
            require(vfCoef >= 0, "vf_coef must be >= 0, got " + vfCoef);
            require(gamma >= 0 && gamma <= 1, "gamma must be in [0, 1], got " + gamma);
            require(lam >= 0 && lam <= 1, "lam must be in [0, 1], got " + lam);
            require(numMiniBatches > 0, "num_mini_batches must be > 0, got " + numMiniBatches);
            require(totalEpisodes == null || totalEpisodes > 0, "total_episodes must be > 0, got " + totalEpisodes);
            require(localRolloutForwardBatchSize > 0, "local_rollout_forward_batch_size must be > 0, got "
                    + localRolloutForwardBatchSize);
            require(responseLength > 0, "response_length must be > 0, got " + responseLength);
            require(stopToken == null || stopToken.equals("eos"), "stop_token must be 'eos' or null, got '"
                    + stopToken + "'");
            require(stopToken == null || stopTokenId == null, "stop_token and stop_token_id cannot both be set");
            require(stopTokenId == null || stopTokenId >= 0, "stop_token_id must be >= 0, got " + stopTokenId);
            require(temperature > 0 && Double.isFinite(temperature), "temperature must be > 0, got " + temperature);
            require(missingEosPenalty == null || missingEosPenalty >= 0, "missing_eos_penalty must be >= 0, got "
                    + missingEosPenalty);
            require(initKlCoef == null || initKlCoef >= 0, "init_kl_coef must be >= 0, got " + initKlCoef);
            require(target > 0, "target must be > 0, got " + target);
            require(horizon > 0, "horizon must be > 0, got " + horizon);
        }

        /** The KL estimator. */
        public KlEstimator estimator() {
            return KlEstimator.of(klEstimator);
        }

        /** The KL coefficient of the first update: init_kl_coef with the adaptive controller when set, else kl_coef. */
        public double initialKlCoef() {
            return adapKlCtrl && initKlCoef != null ? initKlCoef : klCoef;
        }
    }

    /** Validates the parts and the batch sizes. */
    public PpoConfig {
        require(training != null && options != null, "a PPO configuration needs training arguments and PPO options");
        require(training.optimizer().equals(AdamW.NAME), "optim: PPO trains with " + AdamW.NAME + ", got '"
                + training.optim() + "'");
        require(training.shufflesTrainingSet(), "train_sampling_strategy: PPO shuffles its prompts each pass (as "
                + "TRL's data loader), got '" + training.trainSamplingStrategy() + "'");
        int batch = training.perDeviceTrainBatchSize() * training.gradientAccumulationSteps();
        require(batch % options.numMiniBatches() == 0, "batch_size (per_device_train_batch_size x "
                + "gradient_accumulation_steps = " + batch + ") must be a multiple of num_mini_batches "
                + options.numMiniBatches());
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new InputException(message);
        }
    }

    /** TRL's defaults ({@code output_dir} "trainer_output"). */
    public static PpoConfig defaults() {
        TrainingArguments training = TrainingArguments.defaults().withOptions(TrainingArguments.trlDefaults(3e-6));
        return new PpoConfig(training, new Options(4, false, 0.05, "k1", 0.2, 0.1, 0.2, 1.0, 0.95, 1, null, 64, 53,
                null, null, 0.7, null, false, null, 6.0, 10000.0));
    }

    /** The PPO option names (snake_case), in declaration order. */
    public static Set<String> optionNames() {
        return OPTION_NAMES;
    }

    /** Every option name a PPO configuration accepts: the training options and the PPO options. */
    public static Set<String> allOptionNames() {
        return OptionRecords.withTrainingNames(OPTION_NAMES);
    }

    /** Reads a YAML or JSON configuration file over TRL's defaults. */
    public static PpoConfig load(Path file) {
        return fromOptions(TrainingArguments.readOptions(file), file.toString(), defaults());
    }

    /**
     * {@code base} with the given options (snake_case names of training and PPO options) replaced.
     *
     * @param source names where the options came from in error messages
     * @throws InputException naming {@code source} and the option for an unknown name (with the closest
     *                                  known one), a value of the wrong type or an invalid value
     */
    public static PpoConfig fromOptions(Map<String, ?> options, String source, PpoConfig base) {
        return OptionRecords.algorithmConfig(options, source, base.training(), base.options(), Options.class,
                PpoConfig::new);
    }

    /** This configuration with the given options replaced (see {@link #fromOptions}). */
    public PpoConfig withOptions(Map<String, ?> options) {
        return fromOptions(options, "options", this);
    }

    /** TRL's {@code batch_size} (one process): prompts per rollout. */
    public int batchSize() {
        return training.perDeviceTrainBatchSize() * training.gradientAccumulationSteps();
    }

    /** TRL's {@code mini_batch_size}: rollouts per optimizer step. */
    public int miniBatchSize() {
        return batchSize() / options.numMiniBatches();
    }

    /** TRL's {@code total_episodes}: the option, else {@code num_train_epochs} x {@code prompts}. */
    public long totalEpisodes(int prompts) {
        return options.totalEpisodes() != null ? options.totalEpisodes()
                : (long) (training.numTrainEpochs() * prompts);
    }

    /** TRL's {@code num_total_batches}: the number of PPO updates, {@code ceil(total_episodes / batch_size)}. */
    public long numTotalBatches(int prompts) {
        return Math.ceilDiv(totalEpisodes(prompts), batchSize());
    }
}
