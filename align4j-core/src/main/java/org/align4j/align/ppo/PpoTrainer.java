package org.align4j.align.ppo;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.align4j.InputException;
import org.align4j.align.CompletionRows;
import org.align4j.align.PolicyFiles;
import org.align4j.align.dpo.ModelReference;
import org.align4j.align.reward.BestOfN;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.model.CausalLM;
import org.align4j.model.GenerationConfig;
import org.align4j.model.Generator;
import org.align4j.model.HfModelWriter;
import org.align4j.model.RewardModel;
import org.align4j.model.io.Dtype;
import org.align4j.tensor.Tensor;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.CheckpointFolders;
import org.align4j.train.EpochSampler;
import org.align4j.train.GradientClipping;
import org.align4j.train.LearningRateSchedule;
import org.align4j.train.MetricCurve;
import org.align4j.train.NonFiniteLossException;
import org.align4j.train.Optimizer;
import org.align4j.train.Optimizers;
import org.align4j.train.RunFolder;
import org.align4j.train.RunReport;
import org.align4j.train.Trainer;
import org.align4j.train.TrainingArguments;

/**
 * PPO with a KL penalty to a frozen reference, as TRL's {@code PPOTrainer} runs it: the RL fine-tuning of Ziegler et
 * al. 2019, "Fine-Tuning Language Models from Human Preferences" (section 2, eq. 2 for the adaptive KL coefficient),
 * and Ouyang et al. 2022 (InstructGPT, section 3.5), with the clipped objective of Schulman et al. 2017, "Proximal
 * Policy Optimization Algorithms", and GAE (Schulman et al. 2016).
 *
 * <p>Each update ({@link #step()}):
 * <ol>
 *   <li>takes the next {@code batch_size} prompts (a seeded shuffle per pass over the prompts, incomplete batches
 *       dropped, as TRL's data loader);</li>
 *   <li>samples one response per prompt from the policy with the {@link Generator} (temperature, no top-k/top-p,
 *       at most {@code response_length} tokens, stopping after the stop token when there is one), in chunks of
 *       {@code local_rollout_forward_batch_size};</li>
 *   <li>recomputes, teacher-forced, the log-probabilities of the response tokens under the policy and the reference
 *       (logits divided by the temperature) and the value of each state (the value model's head at the position
 *       before each response token);</li>
 *   <li>scores each prompt + response with the {@link ResponseScorer} (a reward model or any function), minus
 *       {@code missing_eos_penalty} when the response has no eos token;</li>
 *   <li>forms per-token rewards −β·KL_t (KL_t by {@code kl_estimator}) with the score added at the last response
 *       token, whitens them when {@code whiten_rewards}, computes GAE advantages and returns ({@link Gae}) and
 *       whitens the advantages over the batch ({@link Whitening});</li>
 *   <li>runs {@code num_ppo_epochs} passes over the rollout, each a fresh shuffle cut into {@code num_mini_batches}
 *       mini-batches; each mini-batch accumulates the gradients of its micro-batches of
 *       {@code per_device_train_batch_size} (loss pg + vf_coef·vf of {@link PpoLoss}, scaled by 1 / micro-batches),
 *       clips their global norm to {@code max_grad_norm} and takes one AdamW step on the policy and value
 *       parameters together, at the learning rate the schedule gives this update (with {@code gradient_checkpointing}
 *       the policy and value forwards recompute each block in the backward pass);</li>
 *   <li>logs TRL's metrics (below) to {@code metrics.jsonl} and updates the KL coefficient ({@link KlController}).</li>
 * </ol>
 *
 * <p>Metrics per update, TRL's names: {@code objective/kl} (mean over responses of Σ_t KL_t),
 * {@code objective/entropy} (mean of Σ_t −log π of the sampled tokens), {@code objective/non_score_reward} (mean of
 * Σ_t −β·KL_t), {@code objective/rlhf_reward} (that plus the mean score), {@code objective/scores},
 * {@code policy/approxkl_avg}, {@code policy/clipfrac_avg}, {@code loss/policy_avg}, {@code loss/value_avg},
 * {@code val/clipfrac_avg}, {@code policy/entropy_avg} (of the predicted distributions during the PPO passes),
 * {@code val/ratio} and {@code val/ratio_var} (mean and unbiased variance of the micro-batches' mean ratios; 0 with
 * one micro-batch), {@code val/num_eos_tokens}, {@code lr}, {@code episode} and {@code eps} (episodes per second),
 * plus {@code kl_coef} (the β of this update); each log entry also has {@code epoch} (episodes / prompts) and
 * {@code step}.
 *
 * <p>Where this differs from TRL: TRL places the score one position after the last response token (inside the
 * padding, with an extra value position); here it is added at the last response token and the episode ends there,
 * as in the papers. Token means (losses, clip fractions, ratio, entropy) are over response tokens only, where TRL
 * averages some statistics over padding too. TRL does not clip gradients in its PPO loop; here {@code max_grad_norm}
 * (0 disables) applies. One optimizer step is taken per mini-batch.
 *
 * <p>Files in {@code output_dir}: {@code ppo_config.json}, {@code metrics.jsonl}, checkpoints every
 * {@code save_steps} updates, written atomically ({@code checkpoint-N}: the policy, {@code value_model/}, and as
 * {@link Trainer} writes them {@code optimizer.safetensors} (the AdamW moments and step of the policy's and the value
 * model's parameters, named {@code policy.*} and {@code value_model.*}), {@code scheduler.json},
 * {@code rng_state.json} (the prompt sampler's epoch and batch within it, and the number of updates whose random draws
 * the streams have made) and {@code trainer_state.json} (updates, episodes, the KL coefficient, the log history)),
 * and after {@link #train} the policy (HF layout) with {@code trainer_state.json} and {@code ppo_reward_kl.png}.
 *
 * <p>Randomness: one seed ({@code seed}) gives the prompt order of each pass ({@link EpochSampler}: seed + pass), and
 * two streams split from it: the generation seeds (one per generation chunk) and the PPO passes' shuffles. Each
 * update draws the same number of values from each, so the streams after N updates are those of a fresh run advanced
 * by N updates' draws. {@code resume_from_checkpoint} (a checkpoint folder, or true for the newest in
 * {@code output_dir}) restores the weights, both optimizers' state, the KL coefficient, the counters, the sampler's
 * position and the log history, and advances the streams that way, so that the resumed run takes exactly the updates
 * an uninterrupted one would have taken. The reference (when none is given) is the frozen copy of the policy passed
 * in, taken before the checkpoint is loaded: resume with the model the run started from.
 */
public final class PpoTrainer {
    /** The plot of reward and KL against the episode. */
    public static final String CURVES_PNG = "ppo_reward_kl.png";
    /** The value model's folder inside a checkpoint. */
    public static final String VALUE_MODEL_DIR = "value_model";
    /** TRL adds this to the temperature before dividing the logits by it. */
    static final double TEMPERATURE_EPSILON = 1e-7;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final CausalLM policy;
    private final CausalLM reference;
    private final RewardModel valueModel;
    private final ResponseScorer scorer;
    private final int[][] prompts;
    private final PpoConfig config;
    private final PpoConfig.Options options;
    /** How many of the last update's completions the run shows. */
    private static final int SHOWN_COMPLETIONS = 8;
    private final HfModelWriter writer;
    private final Generator generator;
    private final GenerationConfig generation;
    private final double temperature;
    private final Integer eosTokenId;
    private final Map<String, Var> parameters;
    private final Optimizer optimizer;
    private final LearningRateSchedule schedule;
    private final KlController klController;
    private final EpochSampler sampler;
    private final long maxUpdates;
    private final long saveSteps;
    private final RunFolder run;
    private final SplittableRandom generationSeeds;
    private final SplittableRandom shuffles;
    private final Path resumeFrom;
    private final List<Map<String, Object>> logHistory = new ArrayList<>();

    private long updates;
    private long episode;
    private int promptEpoch;
    private int batchInEpoch;
    private int[] permutation;
    private boolean started;
    /** The last update's rollouts, for the completions the run shows at the end. */
    private PpoRollout lastRollout;
    private long startNanos;
    private long startEpisode;

    /**
     * Rates responses with their prompts apart (for a reward that reads the response alone, such as a ground-truth
     * function of the completion); {@link #of} adapts a {@link BestOfN.Scorer} of prompt + response sequences.
     */
    @FunctionalInterface
    public interface ResponseScorer {
        /** The reward of each response after its prompt, in order. */
        double[] score(int[][] prompts, int[][] responses);

        /** A scorer of the prompt + response sequences by {@code scorer}. */
        static ResponseScorer of(BestOfN.Scorer scorer) {
            return (prompts, responses) -> {
                List<int[]> sequences = new ArrayList<>(prompts.length);
                for (int b = 0; b < prompts.length; b++) {
                    sequences.add(CompletionRows.concat(prompts[b], responses[b]));
                }
                return scorer.score(sequences);
            };
        }
    }

    /** Called by {@link #train(int, Listener)} every K updates, e.g. to evaluate the policy on held-out prompts. */
    @FunctionalInterface
    public interface Listener {
        /** After update {@link PpoTrainer#updates()}, whose logged metrics are {@code metrics}. */
        void afterUpdate(PpoTrainer trainer, Map<String, Double> metrics) throws IOException;
    }

    /**
     * The outcome of {@link #train}.
     *
     * @param updates     updates taken
     * @param episodes    responses sampled and trained on
     * @param lastMetrics the metrics of the last update
     */
    public record Result(long updates, long episodes, Map<String, Double> lastMetrics) {
    }

    /** A trainer saving the policy without generation config or tokenizer files. */
    public PpoTrainer(CausalLM policy, CausalLM reference, RewardModel valueModel, BestOfN.Scorer scorer,
                      int[][] prompts, PpoConfig config) {
        this(policy, reference, valueModel, ResponseScorer.of(scorer), prompts, config, new HfModelWriter(null, null));
    }

    /** A trainer scoring prompt + response sequences with {@code scorer} (see the main constructor). */
    public PpoTrainer(CausalLM policy, CausalLM reference, RewardModel valueModel, BestOfN.Scorer scorer,
                      int[][] prompts, PpoConfig config, HfModelWriter writer) {
        this(policy, reference, valueModel, ResponseScorer.of(scorer), prompts, config, writer);
    }

    /**
     * A trainer of {@code policy} on {@code prompts} (token ids).
     *
     * @param policy     the model trained (its tensors are updated in place)
     * @param reference  the frozen reference, or null for a frozen copy of the policy as it is now; it must not share
     *                   tensors with the policy
     * @param valueModel the value model (trained; TRL initialises it from the reward model), with tensors of its own
     *                   (see {@link RewardModel#copy()})
     * @param scorer     rates the responses after their prompts: {@link ResponseScorer#of} a reward model's
     *                   {@link BestOfN#rewardModel}, or any function
     * @param config     the options
     * @param writer     writes the policy's checkpoints and final model (generation config, tokenizer files)
     * @throws InputException for fewer prompts than {@code batch_size}, a prompt too long for the model's
     *                                  positions with {@code response_length}, models of different vocabularies,
     *                                  shared tensors, a stop token / eos penalty without an eos id, or a
     *                                  {@code resume_from_checkpoint} that names no checkpoint
     */
    public PpoTrainer(CausalLM policy, CausalLM reference, RewardModel valueModel, ResponseScorer scorer,
                      int[][] prompts, PpoConfig config, HfModelWriter writer) {
        this.policy = policy;
        this.reference = reference != null ? reference : ModelReference.frozenCopyOf(policy).model();
        this.valueModel = valueModel;
        this.scorer = scorer;
        this.prompts = prompts.clone();
        this.config = config;
        this.options = config.options();
        this.writer = writer;
        TrainingArguments training = config.training();
        checkModels();
        checkPrompts();
        int batchSize = config.batchSize();
        if (prompts.length < batchSize) {
            throw new InputException(prompts.length + " prompts are fewer than batch_size " + batchSize
                    + " (per_device_train_batch_size x gradient_accumulation_steps)");
        }
        List<Integer> modelEos = policy.config().eosTokenIds();
        Integer stop = options.stopTokenId();
        if ("eos".equals(options.stopToken())) {
            if (modelEos.isEmpty()) {
                throw new InputException("stop_token 'eos': the model's config has no eos_token_id");
            }
            stop = modelEos.getFirst();
        }
        this.eosTokenId = !modelEos.isEmpty() ? modelEos.getFirst() : stop;
        if (options.missingEosPenalty() != null && eosTokenId == null) {
            throw new InputException("missing_eos_penalty needs an eos id: the model's config has no "
                    + "eos_token_id and no stop_token_id is set");
        }
        this.temperature = options.temperature() + TEMPERATURE_EPSILON;
        this.generation = new GenerationConfig(options.responseLength(), true, temperature, 0, 1.0,
                stop == null ? List.of() : List.of(stop), null, training.seed());
        this.generator = new Generator(policy);
        Map<String, Var> all = new LinkedHashMap<>();
        policy.parameters().forEach((name, v) -> all.put("policy." + name, v));
        valueModel.parameters().forEach((name, v) -> all.put(VALUE_MODEL_DIR + "." + name, v));
        this.parameters = Collections.unmodifiableMap(all);
        this.optimizer = Optimizers.create(training, parameters);
        this.maxUpdates = config.numTotalBatches(prompts.length);
        this.schedule = training.scheduleFor(maxUpdates);
        this.saveSteps = TrainingArguments.resolveInterval(training.saveSteps(), maxUpdates);
        this.klController = KlController.of(options);
        this.sampler = new EpochSampler(prompts.length, batchSize, true, training.seed());
        this.run = new RunFolder(training.outputPath());
        SplittableRandom root = new SplittableRandom(training.seed());
        this.generationSeeds = root.split();
        this.shuffles = root.split();
        try {
            this.resumeFrom = CheckpointFolders.toResume(training.resumeFromCheckpoint(), run.directory());
        } catch (IOException e) {
            throw new UncheckedIOException(run.directory() + ": " + e.getMessage(), e);
        }
        training.warnings().forEach(w -> System.err.println("ppo: warning: " + w));
    }

    private void checkModels() {
        int vocab = policy.config().vocabSize();
        if (reference.config().vocabSize() != vocab || valueModel.config().vocabSize() != vocab) {
            throw new InputException("the policy, reference and value model must share a vocabulary, got "
                    + vocab + ", " + reference.config().vocabSize() + " and " + valueModel.config().vocabSize());
        }
        Set<Tensor> policyTensors = Collections.newSetFromMap(new IdentityHashMap<>());
        policy.parameters().values().forEach(v -> policyTensors.add(v.value()));
        for (Var v : reference.parameters().values()) {
            if (policyTensors.contains(v.value())) {
                throw new IllegalArgumentException("the reference model shares tensors with the policy; pass a copy, "
                        + "or null for a frozen copy of the policy");
            }
        }
        for (Var v : valueModel.parameters().values()) {
            if (policyTensors.contains(v.value())) {
                throw new IllegalArgumentException("the value model shares tensors with the policy; give it tensors of "
                        + "its own (RewardModel.copy(), or RewardModel.fromCausalLM of a copy of the policy)");
            }
        }
    }

    private void checkPrompts() {
        if (prompts.length == 0) {
            throw new InputException("no prompts");
        }
        int positions = Math.min(policy.config().maxPositions(), valueModel.config().maxPositions());
        for (int i = 0; i < prompts.length; i++) {
            if (prompts[i] == null || prompts[i].length == 0) {
                throw new InputException("prompt " + i + " is empty");
            }
            if (prompts[i].length + options.responseLength() > positions) {
                throw new InputException("prompt " + i + " has " + prompts[i].length + " tokens; with "
                        + "response_length " + options.responseLength() + " it exceeds the model's " + positions
                        + " positions");
            }
        }
    }

    /** The policy being trained. */
    public CausalLM policy() {
        return policy;
    }

    /** The value model being trained. */
    public RewardModel valueModel() {
        return valueModel;
    }

    /** The frozen reference. */
    public CausalLM reference() {
        return reference;
    }

    /** The options. */
    public PpoConfig config() {
        return config;
    }

    /** The KL coefficient β the next update uses. */
    public double klCoef() {
        return klController.value();
    }

    /** Updates taken so far. */
    public long updates() {
        return updates;
    }

    /** Episodes (responses) so far. */
    public long episodes() {
        return episode;
    }

    /** TRL's {@code num_total_batches}: the updates {@link #train} takes and the schedule spans. */
    public long maxUpdates() {
        return maxUpdates;
    }

    /** Every logged entry so far (what {@code metrics.jsonl} holds). */
    public List<Map<String, Object>> logHistory() {
        return Collections.unmodifiableList(logHistory);
    }

    /** Runs all {@link #maxUpdates()} updates, then writes the final model, state and plot. */
    public Result train() throws IOException {
        return train(1, null);
    }

    /**
     * Runs the remaining updates up to {@link #maxUpdates()}, calling {@code listener} (may be null) after every
     * {@code every}-th update and after the last; then writes the policy, {@code trainer_state.json} and the plot
     * into {@code output_dir}.
     */
    public Result train(int every, Listener listener) throws IOException {
        if (every <= 0) {
            throw new IllegalArgumentException("the listener interval must be positive, got " + every);
        }
        if (!started) {
            start();
        }
        Map<String, Double> metrics = Map.of();
        try (RunFolder.Progress bar = run.progress("ppo", maxUpdates, updates,
                config.training().progressBarDisabled())) {
            while (updates < maxUpdates) {
                metrics = step();
                bar.update(updates, " score %.4f, kl %.4f", metrics.get("objective/scores"),
                        metrics.get("objective/kl"));
                if (listener != null && (updates % every == 0 || updates == maxUpdates)) {
                    listener.afterUpdate(this, metrics);
                }
            }
        }
        run.saveFinalModel(dir -> PolicyFiles.write(policy, writer, dir, policy.config().dtype()));
        run.replace(RunFolder.TRAINER_STATE_FILE, this::writeState);
        if (config.training().plotLoss()) {
            MetricCurve.write(logHistory, run.directory().resolve(CURVES_PNG), "PPO reward and KL", "episode",
                    "score / nats", List.of(new MetricCurve.Series("objective/scores", "score"),
                            new MetricCurve.Series("objective/rlhf_reward", "rlhf reward (score - beta KL)"),
                            new MetricCurve.Series("objective/kl", "KL to the reference")));
        }
        writeCompletions();
        RunReport.write(run, "PPO");
        return new Result(updates, episode, metrics);
    }

    /**
     * One PPO update: rollout, advantages, {@code num_ppo_epochs} passes, logging, KL coefficient update and, every
     * {@code save_steps} updates and at the last one, a checkpoint. The first call resumes from
     * {@code resume_from_checkpoint} when set. It may run past {@link #maxUpdates()} (the learning rate then stays at
     * the schedule's end).
     *
     * @return the update's metrics (TRL's names)
     * @throws NonFiniteLossException when a loss or the gradient norm is not finite
     */
    public Map<String, Double> step() throws IOException {
        if (!started) {
            start();
        }
        long update = updates + 1;
        episode += config.batchSize();
        double beta = klController.value();
        double lr = schedule.learningRate(Math.min(updates, maxUpdates));
        Draws draws = draw();
        PpoRollout rollout = rollout(nextPrompts(), beta, draws.generationSeeds());
        lastRollout = rollout;
        PpoUpdate.Statistics passes = optimise(rollout, lr, update, draws.orders());
        double seconds = Math.max((System.nanoTime() - startNanos) / 1e9, 1e-9);
        Map<String, Double> metrics = PpoMetrics.of(rollout, passes, beta, lr, episode,
                (episode - startEpisode) / seconds, eosTokenId);
        klController.update(metrics.get("objective/kl"), config.batchSize());
        updates = update;
        Map<String, Object> entry = new LinkedHashMap<>(metrics);
        entry.put("epoch", (double) episode / prompts.length);
        entry.put("step", updates);
        logHistory.add(entry);
        run.appendMetrics(entry);
        if (saveDue()) {
            saveCheckpoint();
        }
        return metrics;
    }

    private void start() throws IOException {
        if (resumeFrom != null) {
            resume(resumeFrom);
        }
        run.start(logHistory);
        if (config.training().reportsToTensorBoard()) {
            run.reportToTensorBoard(config.training().tensorBoardDirectory());
        }
        run.replace(PpoConfig.FILE_NAME, config::save);
        startEpisode = episode;
        startNanos = System.nanoTime();
        started = true;
    }

    /**
     * Restores what {@link #saveCheckpoint} wrote: the weights, the optimizer state, the KL coefficient, the counters,
     * the sampler's position and the log history; then advances the random streams by the updates taken.
     */
    private void resume(Path checkpoint) throws IOException {
        JsonNode state = RunFolder.readJson(checkpoint.resolve(RunFolder.TRAINER_STATE_FILE));
        long saved = state.path("global_step").asLong(-1);
        if (saved < 0) {
            throw new InputException(checkpoint.resolve(RunFolder.TRAINER_STATE_FILE)
                    + ": global_step missing or negative");
        }
        RunFolder.requireScheduleAt(checkpoint, saved);
        JsonNode rng = RunFolder.readJson(checkpoint.resolve(RunFolder.RNG_STATE_FILE));
        JsonNode position = rng.path("sampler");
        requireSaved(checkpoint, position, "num_prompts", prompts.length);
        requireSaved(checkpoint, position, "batch_size", config.batchSize());
        requireSaved(checkpoint, position, "seed", config.training().seed());
        requireSaved(checkpoint, rng.path("streams"), "updates_drawn", saved);
        PolicyFiles.load(policy, checkpoint);
        PolicyFiles.restoreRngState(policy, rng.path("policy"));
        valueModel.loadWeights(checkpoint.resolve(VALUE_MODEL_DIR));
        optimizer.load(checkpoint.resolve(RunFolder.OPTIMIZER_FILE), parameters);
        klController.restore(state.path("kl_coef").asDouble(Double.NaN));
        updates = saved;
        episode = state.path("episode").asLong();
        promptEpoch = position.path("epoch").asInt();
        batchInEpoch = position.path("batch_in_epoch").asInt();
        permutation = promptEpoch > 0 ? sampler.permutation(promptEpoch - 1) : null;
        for (long u = 0; u < saved; u++) {
            draw();
        }
        logHistory.clear();
        logHistory.addAll(JSON.convertValue(state.path("log_history"), new TypeReference<List<Map<String, Object>>>() {
        }));
    }

    private static void requireSaved(Path checkpoint, JsonNode node, String field, long expected) {
        if (node.path(field).asLong(Long.MIN_VALUE) != expected) {
            throw new InputException(checkpoint.resolve(RunFolder.RNG_STATE_FILE) + ": " + field + " "
                    + node.path(field) + ", this run has " + expected);
        }
    }

    /**
     * The random values of one update: a generation seed per chunk of {@code local_rollout_forward_batch_size}
     * prompts, and the rollout order of each PPO pass.
     */
    private record Draws(long[] generationSeeds, int[][] orders) {
    }

    /** Draws one update's random values; every update draws as many from each stream. */
    private Draws draw() {
        int size = config.batchSize();
        long[] seeds = new long[Math.ceilDiv(size, options.localRolloutForwardBatchSize())];
        for (int c = 0; c < seeds.length; c++) {
            seeds[c] = generationSeeds.nextLong();
        }
        int[][] orders = new int[options.numPpoEpochs()][];
        for (int e = 0; e < orders.length; e++) {
            orders[e] = EpochSampler.shuffled(size, shuffles);
        }
        return new Draws(seeds, orders);
    }

    private int[][] nextPrompts() {
        if (permutation == null || batchInEpoch == sampler.microBatchesPerEpoch()) {
            permutation = sampler.permutation(promptEpoch++);
            batchInEpoch = 0;
        }
        int[] indices = sampler.microBatch(permutation, batchInEpoch++);
        int[][] batch = new int[indices.length][];
        for (int i = 0; i < indices.length; i++) {
            batch[i] = prompts[indices[i]];
        }
        return batch;
    }

    /**
     * The last update's first rollouts as {@value RunReport#COMPLETIONS_FILE} (prompt, completion and score, as TRL's
     * PPO trainer shows a table of completions), decoded with the tokenizer the run saves; nothing before the first
     * update.
     */
    private void writeCompletions() throws IOException {
        if (lastRollout == null) {
            return;
        }
        Tokenizer tokenizer = writer.tokenizerDirectory() == null ? null : Tokenizer.load(writer.tokenizerDirectory());
        List<RunReport.Completion> rows = new ArrayList<>();
        for (int i = 0; i < Math.min(SHOWN_COMPLETIONS, lastRollout.prompts().length); i++) {
            int[] prompt = lastRollout.prompts()[i];
            int[] response = lastRollout.responses()[i];
            rows.add(new RunReport.Completion(tokenizer != null ? tokenizer.decode(prompt, true)
                    : Arrays.toString(prompt), tokenizer != null ? tokenizer.decode(response, true)
                    : Arrays.toString(response), lastRollout.scores()[i]));
        }
        RunReport.writeCompletions(run, rows);
    }

    private PpoRollout rollout(int[][] batch, double beta, long[] seeds) {
        int size = batch.length;
        int chunk = options.localRolloutForwardBatchSize();
        int[][] responses = new int[size][];
        for (int from = 0; from < size; from += chunk) {
            int to = Math.min(size, from + chunk);
            var sampled = generator.generate(Arrays.copyOfRange(batch, from, to),
                    generation.withSeed(seeds[from / chunk]));
            for (int b = from; b < to; b++) {
                responses[b] = sampled.completion(b - from);
            }
        }
        double[][] logprobs = new double[size][];
        double[][] refLogprobs = new double[size][];
        double[][] values = new double[size][];
        for (int from = 0; from < size; from += chunk) {
            int to = Math.min(size, from + chunk);
            CompletionRows s = CompletionRows.of(Arrays.copyOfRange(batch, from, to),
                    Arrays.copyOfRange(responses, from, to));
            Var lp = s.logProbs(Tape.inference(), policy, temperature, null);
            Var ref = s.logProbs(Tape.inference(), reference, temperature, null);
            Var v = valueModel.values(Tape.inference(), s.input());
            for (int b = from; b < to; b++) {
                logprobs[b] = s.gather(lp.value(), b - from);
                refLogprobs[b] = s.gather(ref.value(), b - from);
                values[b] = s.gather(v.value(), b - from);
            }
        }
        double[] scores = scorer.score(batch, responses);
        if (scores.length != size) {
            throw new IllegalStateException("the scorer returned " + scores.length + " scores for " + size
                    + " sequences");
        }
        return PpoRollout.of(batch, responses, logprobs, refLogprobs, values, scores, beta, options, eosTokenId);
    }

    private PpoUpdate.Statistics optimise(PpoRollout rollout, double lr, long update, int[][] orders) {
        int size = rollout.prompts().length;
        int miniBatch = config.miniBatchSize();
        int microBatch = config.training().perDeviceTrainBatchSize();
        PpoUpdate.Statistics statistics = new PpoUpdate.Statistics();
        parameters.values().forEach(Var::zeroGrad);
        for (int epoch = 0; epoch < options.numPpoEpochs(); epoch++) {
            int[] order = orders[epoch];
            for (int m = 0; m + miniBatch <= size; m += miniBatch) {
                int micros = Math.ceilDiv(miniBatch, microBatch);
                for (int u = 0; u < miniBatch; u += microBatch) {
                    int[] rows = Arrays.copyOfRange(order, m + u, m + Math.min(miniBatch, u + microBatch));
                    microStep(rollout, rows, 1.0 / micros, statistics, update);
                }
                double norm = GradientClipping.clipGradNorm(parameters.values(), config.training().maxGradNorm());
                if (!Double.isFinite(norm)) {
                    throw new NonFiniteLossException("grad_norm", norm, update, new int[0]);
                }
                optimizer.step(parameters, lr);
                parameters.values().forEach(Var::zeroGrad);
            }
        }
        return statistics;
    }

    private void microStep(PpoRollout rollout, int[] rows, double scale, PpoUpdate.Statistics statistics,
                           long update) {
        PpoUpdate.MicroBatch batch = rollout.rows(rows);
        Tape tape = Tape.recording(config.training().gradientCheckpointing());
        PpoUpdate.MicroBatchLoss loss = PpoUpdate.microBatchLoss(tape, policy, valueModel, batch, options, temperature,
                scale);
        if (!Double.isFinite(loss.total().value().get(0))) {
            throw new NonFiniteLossException("loss", loss.total().value().get(0) / scale, update, rows);
        }
        tape.backward(loss.total());
        statistics.add(loss);
    }

    /** Whether this update ends with a checkpoint: every {@code save_steps} updates or epoch, and at the last update. */
    private boolean saveDue() {
        boolean last = updates == maxUpdates;
        return switch (config.training().saveStrategy()) {
            case NO -> false;
            case STEPS -> updates % saveSteps == 0 || last;
            case EPOCH -> batchInEpoch == sampler.microBatchesPerEpoch() || last;
        };
    }

    private void saveCheckpoint() throws IOException {
        run.writeCheckpoint(updates, config.training().saveTotalLimit(), null, dir -> {
            PolicyFiles.write(policy, writer, dir, Dtype.F32);
            Path value = Files.createDirectories(dir.resolve(VALUE_MODEL_DIR));
            valueModel.write(value, Dtype.F32);
            optimizer.save(dir.resolve(RunFolder.OPTIMIZER_FILE));
            JSON.writeValue(dir.resolve(RunFolder.SCHEDULER_FILE).toFile(), schedule.state(updates));
            JSON.writeValue(dir.resolve(RunFolder.RNG_STATE_FILE).toFile(), rngState());
            writeState(dir.resolve(RunFolder.TRAINER_STATE_FILE));
            config.save(dir.resolve(PpoConfig.FILE_NAME));
        });
    }

    /** The sampler's position (the pass it is in and the batches taken from it) and the streams' draws. */
    private ObjectNode rngState() {
        ObjectNode node = JSON.createObjectNode();
        ObjectNode position = node.putObject("sampler");
        position.put("seed", config.training().seed());
        position.put("num_prompts", prompts.length);
        position.put("batch_size", config.batchSize());
        position.put("epoch", promptEpoch);
        position.put("batch_in_epoch", batchInEpoch);
        node.putObject("streams").put("updates_drawn", updates);
        node.set("policy", PolicyFiles.rngState(policy));
        return node;
    }

    /** HF's trainer-state names where they apply, with PPO's {@code episode} and {@code kl_coef}. */
    private void writeState(Path file) throws IOException {
        ObjectNode state = JSON.createObjectNode();
        state.put("global_step", updates);
        state.put("max_steps", maxUpdates);
        state.put("episode", episode);
        state.put("epoch", (double) episode / prompts.length);
        state.put("kl_coef", klController.value());
        state.set("log_history", JSON.valueToTree(logHistory));
        JSON.writeValue(file.toFile(), state);
    }


}
