package org.align4j.align.grpo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.align4j.InputException;
import org.align4j.align.CompletionRows;
import org.align4j.align.ReferencePolicy;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.model.CausalLM;
import org.align4j.model.Generation;
import org.align4j.model.GenerationConfig;
import org.align4j.model.Generator;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.BatchSource;
import org.align4j.train.EpochSampler;
import org.align4j.train.TrainingArguments;

/**
 * The training micro-batches of GRPO and RLOO: completions sampled from the policy being trained, as TRL's
 * {@code RepeatSampler}, {@code _prepare_inputs} and {@code _generate_and_score_completions} make them.
 *
 * <p>Each epoch the prompts are visited in a seeded random order ({@code shuffle_dataset}; seed + epoch, as the
 * trainer's sampler) in generation batches of {@code generation_batch_size / num_generations} prompts (an incomplete
 * last one is dropped). For each generation batch: {@code num_generations} completions per prompt are sampled
 * ({@code temperature}, {@code top_p}, {@code top_k}, {@code repetition_penalty}, at most
 * {@code max_completion_length} tokens, stopping after an eos token); they are decoded and rated by every
 * {@link RewardFunction}; log π_θold (when the policy may change before the completions are used, or always for
 * RLOO) and log π_ref (β ≠ 0) are computed teacher-forced; the {@link AdvantageRule} turns rewards into
 * advantages; the completions are shuffled and cut into {@code steps_per_generation} micro-batches, which are used
 * {@code num_iterations} times. An epoch is thus (generation batches) × steps_per_generation × num_iterations
 * micro-batches.
 *
 * <p>Sampling seeds derive from the run seed, the epoch and the generation batch, so a generation batch is a function
 * of the policy's weights at the time; a checkpoint inside a generation batch carries it ({@link #state}), so a
 * resumed run trains on the very completions an uninterrupted one would.
 */
public final class GrpoRollouts implements BatchSource<GrpoSample> {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How the rewards of a generation batch become advantages (GRPO's or RLOO's rule). */
    @FunctionalInterface
    public interface AdvantageRule {
        /**
         * The advantages and reward metrics.
         *
         * @param rewards     [completion][function] rewards, NaN where a function abstains
         * @param names       the functions' names
         * @param sequenceKl   Σ_t (log π_θold − log π_ref) over each completion's active tokens, or null without a
         *                     reference or old log-probabilities
         * @param activeTokens active completion tokens of the batch
         */
        GroupAdvantages.Result advantages(double[][] rewards, List<String> names, double[] sequenceKl,
                                          int activeTokens);
    }

    /**
     * The prompts.
     *
     * @param ids     token ids
     * @param texts   the prompts as the policy saw them (for reward functions)
     * @param columns each prompt line's other fields
     * @param sources where each prompt came from (file:line), for messages
     */
    public record Prompts(int[][] ids, List<String> texts, List<Map<String, JsonNode>> columns,
                          List<String> sources) {
        /** Validates the sizes. */
        public Prompts {
            if (ids.length == 0 || texts.size() != ids.length || columns.size() != ids.length
                    || sources.size() != ids.length) {
                throw new InputException("one text, one set of columns and one source per prompt are needed, and at "
                        + "least one prompt");
            }
        }

        /** Pre-tokenized prompts: their texts decoded by {@code tokenizer}, no other columns. */
        public static Prompts ofIds(List<int[]> ids, Tokenizer tokenizer, String source) {
            List<String> texts = new ArrayList<>();
            List<String> sources = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                texts.add(tokenizer.decode(ids.get(i), true));
                sources.add(source + ":" + (i + 1));
            }
            return new Prompts(ids.toArray(int[][]::new), texts, Collections.nCopies(ids.size(), Map.of()),
                    sources);
        }
    }

    /**
     * What a generation batch yields.
     *
     * @param samples      the completions in prompt order (rows g·G + k)
     * @param order        the shuffled order they are used in
     * @param activeTokens active completion tokens (dapo's normaliser)
     * @param metrics      TRL's generation metrics
     */
    record GenerationBatch(List<GrpoSample> samples, int[] order, int activeTokens, Map<String, Double> metrics) {
    }

    private final CausalLM policy;
    private final ReferencePolicy reference;
    private final Tokenizer tokenizer;
    private final Prompts prompts;
    private final RolloutOptions options;
    private final List<RewardFunction> rewardFunctions;
    private final AdvantageRule rule;
    private final boolean recordOldLogps;
    private final List<Integer> eosTokenIds;
    private final Integer padTokenId;
    private final int microBatchSize;
    private final int accumulation;
    private final int stepsPerGeneration;
    private final int promptsPerGeneration;
    private final int generationsPerEpoch;
    private final EpochSampler order;
    private final long seed;

    private int bufferEpoch = -1;
    private int bufferGeneration = -1;
    private GenerationBatch buffer;

    /**
     * Rollouts of {@code policy}.
     *
     * @param reference       the reference, or null when β is 0
     * @param tokenizer       decodes the completions for the reward functions, or null to leave them undecoded
     *                        (reward functions that read token ids only)
     * @param recordOldLogps  whether log π_θold is recorded at sampling time (RLOO always; GRPO when the policy may
     *                        change between sampling and use)
     * @param eosTokenIds     the ids that end a completion
     * @param padTokenId      the padding id (a completion ending in it is not truncated), or null
     */
    public GrpoRollouts(CausalLM policy, ReferencePolicy reference, Tokenizer tokenizer,
                        Prompts prompts, RolloutOptions options, TrainingArguments training,
                        List<RewardFunction> rewardFunctions, AdvantageRule rule, boolean recordOldLogps,
                        List<Integer> eosTokenIds, Integer padTokenId) {
        if (rewardFunctions.isEmpty()) {
            throw new InputException("at least one reward function is needed");
        }
        if (options.beta() != 0 && reference == null) {
            throw new IllegalArgumentException("beta != 0 needs a reference");
        }
        this.policy = policy;
        this.reference = reference;
        this.tokenizer = tokenizer;
        this.prompts = prompts;
        this.options = options;
        this.rewardFunctions = List.copyOf(rewardFunctions);
        this.rule = rule;
        this.recordOldLogps = recordOldLogps;
        this.eosTokenIds = List.copyOf(eosTokenIds);
        this.padTokenId = padTokenId;
        this.microBatchSize = training.perDeviceTrainBatchSize();
        this.accumulation = training.gradientAccumulationSteps();
        this.stepsPerGeneration = options.stepsPerGeneration(training);
        this.promptsPerGeneration = options.generationBatchSize(training) / options.numGenerations();
        this.generationsPerEpoch = prompts.ids().length / promptsPerGeneration;
        if (generationsPerEpoch == 0) {
            throw new InputException("the " + prompts.ids().length + " prompts do not fill one generation batch of "
                    + promptsPerGeneration + " prompts (generation_batch_size " + options.generationBatchSize(training)
                    + " / num_generations " + options.numGenerations() + ")");
        }
        this.order = new EpochSampler(prompts.ids().length, 1, false, training.seed());
        this.seed = training.seed();
    }

    @Override
    public int examples() {
        return prompts.ids().length;
    }

    @Override
    public int microBatchesPerEpoch() {
        return generationsPerEpoch * stepsPerGeneration * options.numIterations();
    }

    @Override
    public MicroBatch<GrpoSample> microBatch(int epoch, int index) {
        int perGeneration = stepsPerGeneration * options.numIterations();
        int generation = index / perGeneration;
        if (bufferEpoch != epoch || bufferGeneration != generation) {
            buffer = generate(epoch, generation);
            bufferEpoch = epoch;
            bufferGeneration = generation;
        }
        int slot = index % stepsPerGeneration;
        boolean firstUse = index % perGeneration < stepsPerGeneration;
        int windowStart = index / accumulation * accumulation;
        int window = Math.min(accumulation, microBatchesPerEpoch() - windowStart);
        GrpoSample.Context context = new GrpoSample.Context(buffer.activeTokens(), window, buffer.metrics(),
                firstUse);
        List<GrpoSample> items = new ArrayList<>(microBatchSize);
        int[] indices = new int[microBatchSize];
        for (int j = 0; j < microBatchSize; j++) {
            GrpoSample sample = buffer.samples().get(buffer.order()[slot * microBatchSize + j]);
            items.add(sample.in(context));
            indices[j] = sample.promptIndex();
        }
        return new MicroBatch<>(items, indices);
    }

    /** The prompt indices of generation batch {@code generation} of {@code epoch}. */
    private int[] promptIndices(int epoch, int generation) {
        int[] visit = new int[prompts.ids().length];
        if (options.shuffleDataset()) {
            visit = order.permutation(epoch);
        } else {
            Arrays.setAll(visit, i -> i);
        }
        return Arrays.copyOfRange(visit, generation * promptsPerGeneration, (generation + 1) * promptsPerGeneration);
    }

    /** A seed for (epoch, generation, stream): a function of the run seed and the position alone. */
    private long seedFor(int epoch, int generation, int stream) {
        return new SplittableRandom(seed ^ 0x6752504fL).split().nextLong() + ((long) epoch << 40)
                + ((long) generation << 8) + stream;
    }

    /** Samples, rates and prepares generation batch {@code generation} of {@code epoch}. */
    GenerationBatch generate(int epoch, int generation) {
        int[] promptIndices = promptIndices(epoch, generation);
        int group = options.numGenerations();
        int n = promptIndices.length * group;
        GenerationConfig config = new GenerationConfig(options.maxCompletionLength(), true, options.temperature(),
                options.topK(), options.topP(), eosTokenIds, padTokenId, 0, options.repetitionPenalty(), group);
        // whole groups at a time, at least one group and at most max(group, micro-batch) rows
        int promptsPerCall = Math.max(1, microBatchSize / group);
        int[][] promptIds = new int[n][];
        int[][] completionIds = new int[n][];
        Generator generator = new Generator(policy);
        for (int from = 0; from < promptIndices.length; from += promptsPerCall) {
            int to = Math.min(promptIndices.length, from + promptsPerCall);
            int[][] callPrompts = new int[to - from][];
            for (int p = from; p < to; p++) {
                callPrompts[p - from] = prompts.ids()[promptIndices[p]];
            }
            Generation out = generator.generate(callPrompts, config.withSeed(seedFor(epoch, generation, from)));
            for (int r = 0; r < (to - from) * group; r++) {
                int row = from * group + r;
                promptIds[row] = callPrompts[r / group];
                completionIds[row] = out.completion(r);
            }
        }
        boolean[] truncated = new boolean[n];
        List<RewardFunction.Completion> completions = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int[] c = completionIds[i];
            int last = c[c.length - 1];
            truncated[i] = !eosTokenIds.contains(last) && (padTokenId == null || last != padTokenId);
            int p = promptIndices[i / group];
            completions.add(new RewardFunction.Completion(prompts.texts().get(p),
                    tokenizer == null ? null : tokenizer.decode(c, true),
                    promptIds[i], c, prompts.columns().get(p)));
        }
        double[][] rewards = new double[n][rewardFunctions.size()];
        List<String> names = new ArrayList<>();
        for (int f = 0; f < rewardFunctions.size(); f++) {
            RewardFunction function = rewardFunctions.get(f);
            names.add(function.name());
            double[] scores = function.rewards(completions);
            if (scores.length != n) {
                throw new IllegalStateException("reward function " + function.name() + " returned " + scores.length
                        + " rewards for " + n + " completions");
            }
            for (int i = 0; i < n; i++) {
                rewards[i][f] = scores[i];
            }
        }
        boolean[] masked = new boolean[n];
        for (int i = 0; i < n; i++) {
            masked[i] = options.maskTruncatedCompletions() && truncated[i];
        }
        double[][] oldLogps = recordOldLogps ? logps(policy, promptIds, completionIds) : null;
        double[][] refLogps = options.beta() != 0
                ? reference.apply(model -> logps(model, promptIds, completionIds)) : null;
        double[] sequenceKl = null;
        int activeTokens = 0;
        for (int i = 0; i < n; i++) {
            activeTokens += masked[i] ? 0 : completionIds[i].length;
        }
        if (oldLogps != null && refLogps != null) {
            sequenceKl = new double[n];
            for (int i = 0; i < n; i++) {
                for (int t = 0; t < completionIds[i].length && !masked[i]; t++) {
                    sequenceKl[i] += oldLogps[i][t] - refLogps[i][t];
                }
            }
        }
        GroupAdvantages.Result advantages = rule.advantages(rewards, names, sequenceKl, activeTokens);
        List<GrpoSample> samples = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            samples.add(new GrpoSample(promptIndices[i / group], promptIds[i], completionIds[i],
                    advantages.advantages()[i], masked[i], oldLogps == null ? null : oldLogps[i],
                    refLogps == null ? null : refLogps[i], null));
        }
        Map<String, Double> metrics = new LinkedHashMap<>(completionMetrics(completionIds, truncated));
        metrics.putAll(advantages.metrics());
        int[] shuffled = EpochSampler.shuffled(n, new SplittableRandom(seedFor(epoch, generation, 255)));
        return new GenerationBatch(samples, shuffled, activeTokens, metrics);
    }

    /**
     * log π(token) of every completion token under {@code model}, teacher-forced on inference tapes in micro-batches,
     * logits divided by the temperature.
     */
    private double[][] logps(CausalLM model, int[][] promptIds, int[][] completionIds) {
        int n = promptIds.length;
        double[][] out = new double[n][];
        for (int from = 0; from < n; from += microBatchSize) {
            int to = Math.min(n, from + microBatchSize);
            CompletionRows rows = CompletionRows.of(Arrays.copyOfRange(promptIds, from, to),
                    Arrays.copyOfRange(completionIds, from, to));
            Var logp = rows.logProbs(Tape.inference(), model, options.temperature(), null);
            for (int i = from; i < to; i++) {
                out[i] = rows.gather(logp.value(), i - from);
            }
        }
        return out;
    }

    /** TRL's completion metrics: lengths (all, and of the completions that ended with eos) and the clipped ratio. */
    private static Map<String, Double> completionMetrics(int[][] completionIds, boolean[] truncated) {
        int n = completionIds.length;
        double sum = 0;
        double min = Double.MAX_VALUE;
        double max = 0;
        double terminatedSum = 0;
        double terminatedMin = Double.MAX_VALUE;
        double terminatedMax = 0;
        int terminated = 0;
        for (int i = 0; i < n; i++) {
            int length = completionIds[i].length;
            sum += length;
            min = Math.min(min, length);
            max = Math.max(max, length);
            if (!truncated[i]) {
                terminated++;
                terminatedSum += length;
                terminatedMin = Math.min(terminatedMin, length);
                terminatedMax = Math.max(terminatedMax, length);
            }
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("completions/mean_length", sum / n);
        metrics.put("completions/min_length", min);
        metrics.put("completions/max_length", max);
        metrics.put("completions/clipped_ratio", (double) (n - terminated) / n);
        // with no terminated completion TRL reports zeros
        metrics.put("completions/mean_terminated_length", terminated == 0 ? 0 : terminatedSum / terminated);
        metrics.put("completions/min_terminated_length", terminated == 0 ? 0 : terminatedMin);
        metrics.put("completions/max_terminated_length", terminated == 0 ? 0 : terminatedMax);
        return metrics;
    }

    /** The generation batch in use with its position, so that a checkpoint inside it resumes on it. */
    @Override
    public JsonNode state() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        if (buffer == null) {
            return node;
        }
        node.put("epoch", bufferEpoch);
        node.put("generation", bufferGeneration);
        node.put("active_tokens", buffer.activeTokens());
        node.set("order", JSON.valueToTree(buffer.order()));
        node.set("metrics", JSON.valueToTree(buffer.metrics()));
        ArrayNode samples = node.putArray("samples");
        for (GrpoSample s : buffer.samples()) {
            ObjectNode o = samples.addObject();
            o.put("prompt_index", s.promptIndex());
            o.set("completion_ids", JSON.valueToTree(s.completionIds()));
            o.put("advantage", s.advantage());
            o.put("masked", s.masked());
            o.set("old_logps", JSON.valueToTree(s.oldLogps()));
            o.set("ref_logps", JSON.valueToTree(s.refLogps()));
        }
        return node;
    }

    @Override
    public void restoreState(JsonNode state) {
        if (!state.has("samples")) {
            buffer = null;
            bufferEpoch = -1;
            bufferGeneration = -1;
            return;
        }
        try {
            List<GrpoSample> samples = new ArrayList<>();
            for (JsonNode o : state.get("samples")) {
                int prompt = o.get("prompt_index").asInt();
                if (prompt < 0 || prompt >= prompts.ids().length) {
                    throw new InputException("batches: prompt_index " + prompt + " is not a prompt of this run");
                }
                samples.add(new GrpoSample(prompt, prompts.ids()[prompt],
                        JSON.treeToValue(o.get("completion_ids"), int[].class), o.get("advantage").asDouble(),
                        o.get("masked").asBoolean(), JSON.treeToValue(o.get("old_logps"), double[].class),
                        JSON.treeToValue(o.get("ref_logps"), double[].class), null));
            }
            Map<String, Double> metrics = new LinkedHashMap<>();
            state.get("metrics").properties().forEach(e -> metrics.put(e.getKey(), e.getValue().asDouble()));
            int[] shuffled = JSON.treeToValue(state.get("order"), int[].class);
            if (shuffled.length != samples.size()) {
                throw new InputException("batches: the order does not match the samples");
            }
            buffer = new GenerationBatch(samples, shuffled, state.get("active_tokens").asInt(), metrics);
            bufferEpoch = state.get("epoch").asInt();
            bufferGeneration = state.get("generation").asInt();
        } catch (InputException e) {
            throw e;
        } catch (JsonProcessingException | RuntimeException e) {
            throw new InputException("batches: not a generation batch this run can resume (" + e.getMessage() + ")",
                    e);
        }
    }
}
