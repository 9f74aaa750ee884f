package org.align4j.experiments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.align4j.align.sft.EmbeddedSftRecipe;
import org.align4j.align.sft.SftTrainer;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.data.Afinn;
import org.align4j.data.BrownCorpus;
import org.align4j.data.Example;
import org.align4j.data.SequenceBatch;
import org.align4j.data.SftTokenization;
import org.align4j.data.TokenizedSequence;
import org.align4j.model.CausalLM;
import org.align4j.model.EmbeddedModel;
import org.align4j.model.Generation;
import org.align4j.model.GenerationConfig;
import org.align4j.model.Generator;
import org.align4j.model.HfModels;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.model.io.AtomicDirectory;
import org.align4j.train.Trainer;

/**
 * The controlled sentiment generation task of Rafailov et al. 2023 ("Direct Preference Optimization", section 6.1
 * and appendix C.1) at toy scale, on the embedded model and the bundled corpus; everything the sentiment experiment's
 * methods share.
 *
 * <ul>
 * <li><b>Ground truth</b> (the judge, standing in for the paper's IMDb sentiment classifier): the AFINN-165 score of
 *     the completion text (the prompt excluded), mapped to (0, 1) by {@link Afinn#reward} = sigmoid(score / 2), so a
 *     neutral completion scores 0.5 and each valence point moves the logit by 0.5. Nothing trains on it except the
 *     labelling of preference pairs ({@link #preferencePairs}) and a ground-truth-reward RL baseline.</li>
 * <li><b>Prompts</b> x: prefixes of 2 to 8 tokens (length drawn uniformly) of sentences of the bundled Brown fiction,
 *     tokenized with the embedded tokenizer; sentences are shuffled with the seed, each distinct prefix is used once,
 *     the first ones are the held-out prompts and the next ones the training prompts (disjoint sets).</li>
 * <li><b>SFT model</b> π_ref: the embedded 4M Llama fine-tuned on the Brown fiction exactly as {@code align4j demo}
 *     does (every 21st text held out, packed rows of 128 tokens, batch 16, AdamW lr 3e-3 cosine with 5% warm-up,
 *     weight decay 0.1, β2 0.95), for the given number of steps. The checkpoint is cached in
 *     {@code <output>/sft-<steps>steps-seed<seed>/} (written atomically) and reused by later runs.</li>
 * <li><b>Sampling</b> ({@link #sampling}): temperature 1, top-k 0 (no truncation: samples come from π itself, which
 *     is what makes the KL estimate below unbiased), top-p 1, stopping at the eos id {@value #EOS}.</li>
 * <li><b>Evaluation</b> ({@link #evaluate}): completions of the held-out prompts sampled from the policy π; the mean
 *     ground-truth reward and the sequence-level KL(π || π_ref) = E_{y~π}[Σ_t log π(y_t | x, y_&lt;t) − log π_ref(y_t |
 *     x, y_&lt;t)], estimated on the same samples with teacher-forced log-probabilities of both models (the eos token
 *     counted when sampled).</li>
 * </ul>
 */
public final class SentimentTask {
    /** The embedded tokenizer's eos (also bos and pad) id. */
    public static final int EOS = EmbeddedModel.EOS;
    /** Shortest prompt, in tokens. */
    public static final int MIN_PROMPT_TOKENS = 2;
    /** Longest prompt, in tokens. */
    public static final int MAX_PROMPT_TOKENS = 8;
    /** Completions sampled per training prompt for the preference pairs (appendix C.1). */
    public static final int SAMPLES_PER_PAIR_PROMPT = 4;
    /** Rows per teacher-forced log-probability batch. */
    private static final int LOGP_BATCH = 32;
    /** Rows of packed SFT text, as {@code align4j demo} trains. */
    private static final int SFT_SEQ = 128;
    /** The SFT run's summary, written beside the cached checkpoint. */
    public static final String SFT_SUMMARY_FILE = "sentiment_sft.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The sizes of the task.
     *
     * @param sftSteps             SFT optimizer steps
     * @param trainPrompts         training prompts (preference pairs, RL rollouts)
     * @param heldOutPrompts       held-out prompts (evaluation)
     * @param evalSamplesPerPrompt completions sampled per held-out prompt at each evaluation
     * @param maxNewTokens         tokens generated at most per completion
     */
    public record Config(int sftSteps, int trainPrompts, int heldOutPrompts, int evalSamplesPerPrompt,
                         int maxNewTokens) {
        /** Checks that every size is positive. */
        public Config {
            if (sftSteps <= 0 || trainPrompts <= 0 || heldOutPrompts <= 0 || evalSamplesPerPrompt <= 0
                    || maxNewTokens <= 0) {
                throw new IllegalArgumentException("every sentiment task size must be positive: " + sftSteps + ", "
                        + trainPrompts + ", " + heldOutPrompts + ", " + evalSamplesPerPrompt + ", " + maxNewTokens);
            }
        }
    }

    /**
     * One evaluation of a policy on the held-out prompts.
     *
     * @param reward       mean ground-truth reward of the samples
     * @param rewardStdErr its standard error over samples
     * @param kl           mean over samples of Σ_t log π − log π_ref (the sequence-level KL estimate, nats)
     * @param klStdErr     its standard error over samples
     * @param meanTokens   mean completion length in tokens
     * @param samples      number of samples
     */
    public record Evaluation(double reward, double rewardStdErr, double kl, double klStdErr, double meanTokens,
                             int samples) {
    }

    /**
     * What the SFT stage left.
     *
     * @param directory   the cached checkpoint
     * @param fromCache   whether it was read from an earlier run
     * @param steps       SFT steps
     * @param trainLoss   mean training loss over the run
     * @param heldOutLoss loss on the held-out texts after training
     * @param seconds     training time (of the run that trained it, when read from the cache)
     */
    public record SftSummary(Path directory, boolean fromCache, int steps, double trainLoss, double heldOutLoss,
                             double seconds) {
    }

    private final Config config;
    private final long seed;
    private final Tokenizer tokenizer;
    private final Path tokenizerDir;
    private final Afinn afinn = Afinn.bundled();
    private final List<int[]> trainPrompts;
    private final List<int[]> heldOutPrompts;
    private final SftSummary sft;
    private final CausalLM reference;

    private SentimentTask(Config config, long seed, Tokenizer tokenizer, Path tokenizerDir, List<int[]> trainPrompts,
                          List<int[]> heldOutPrompts, SftSummary sft) {
        this.config = config;
        this.seed = seed;
        this.tokenizer = tokenizer;
        this.tokenizerDir = tokenizerDir;
        this.trainPrompts = trainPrompts;
        this.heldOutPrompts = heldOutPrompts;
        this.sft = sft;
        this.reference = HfModels.load(sft.directory());
    }

    /**
     * Sets the task up in {@code output}: writes the embedded tokenizer to {@code output/tokenizer}, draws the prompts
     * and trains (or reads from the cache) the SFT model; progress lines go to {@code log}.
     */
    public static SentimentTask prepare(Config config, long seed, Path output, PrintStream log, boolean progressBars)
            throws IOException {
        Files.createDirectories(output);
        Path tokenizerDir = EmbeddedModel.writeTokenizer(output.resolve("tokenizer"));
        Tokenizer tokenizer = Tokenizer.load(tokenizerDir);
        List<int[]> prompts = prompts(tokenizer, config.heldOutPrompts() + config.trainPrompts(), seed);
        List<int[]> heldOut = List.copyOf(prompts.subList(0, config.heldOutPrompts()));
        List<int[]> train = List.copyOf(prompts.subList(config.heldOutPrompts(), prompts.size()));
        SftSummary sft = sft(config.sftSteps(), seed, output, tokenizer, tokenizerDir, log, progressBars);
        return new SentimentTask(config, seed, tokenizer, tokenizerDir, train, heldOut, sft);
    }

    /**
     * {@code count} distinct prompts: prefixes of {@value #MIN_PROMPT_TOKENS} to {@value #MAX_PROMPT_TOKENS} tokens
     * (uniform) of the corpus sentences in a seeded random order, each sentence longer than its prefix.
     */
    static List<int[]> prompts(Tokenizer tokenizer, int count, long seed) {
        List<String> sentences = new ArrayList<>();
        for (String paragraph : BrownCorpus.paragraphs()) {
            for (String s : paragraph.split("(?<=[.!?][\"']?)\\s+")) {
                if (!s.isBlank()) {
                    sentences.add(s.strip());
                }
            }
        }
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = sentences.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            String t = sentences.get(i);
            sentences.set(i, sentences.get(j));
            sentences.set(j, t);
        }
        LinkedHashSet<List<Integer>> seen = new LinkedHashSet<>();
        List<int[]> out = new ArrayList<>(count);
        for (String s : sentences) {
            if (out.size() == count) {
                break;
            }
            int length = MIN_PROMPT_TOKENS + random.nextInt(MAX_PROMPT_TOKENS - MIN_PROMPT_TOKENS + 1);
            int[] ids = tokenizer.encode(s, false);
            if (ids.length > length) {
                int[] prefix = Arrays.copyOf(ids, length);
                if (seen.add(Arrays.stream(prefix).boxed().toList())) {
                    out.add(prefix);
                }
            }
        }
        if (out.size() < count) {
            throw new IllegalArgumentException("the corpus has only " + out.size() + " distinct prompts, " + count
                    + " asked for");
        }
        return out;
    }

    /** The SFT model of {@code steps} steps from the cache in {@code output}, trained first if it is not there. */
    private static SftSummary sft(int steps, long seed, Path output, Tokenizer tokenizer, Path tokenizerDir,
                                  PrintStream log, boolean progressBars) throws IOException {
        Path dir = output.resolve("sft-" + steps + "steps-seed" + seed);
        Path summary = dir.resolve(SFT_SUMMARY_FILE);
        boolean cached = Files.isRegularFile(summary) && Files.isRegularFile(dir.resolve("model.safetensors"));
        if (!cached) {
            log.printf(Locale.ROOT, "SFT of the embedded model: %d steps of 16 rows of %d tokens%n", steps, SFT_SEQ);
            BrownCorpus.Split split = BrownCorpus.languageModelingSplit(0);
            List<Example> train = split.train();
            List<Example> eval = split.heldOut();
            SftTokenization tokenization = new SftTokenization(tokenizer, true);
            List<TokenizedSequence> trainRows = SftTokenization.pack(tokenization.tokenizeAll(train, 0), SFT_SEQ);
            List<TokenizedSequence> evalRows = SftTokenization.pack(tokenization.tokenizeAll(eval, 0), SFT_SEQ);
            long started = System.nanoTime();
            AtomicDirectory.write(dir, staging -> {
                CausalLM model = EmbeddedModel.randomInit(seed);
                Trainer<TokenizedSequence> trainer = SftTrainer.forSequences(model, EmbeddedModel.generationConfig(),
                        tokenizer, tokenizerDir, EmbeddedSftRecipe.arguments(staging, steps, seed)
                                .withOptions(Map.of("disable_tqdm", !progressBars)), trainRows, evalRows);
                double trainLoss = trainer.train().trainingLoss();
                double heldOut = trainer.evaluate().get("eval_loss");
                JSON.writeValue(staging.resolve(SFT_SUMMARY_FILE).toFile(), JSON.createObjectNode()
                        .put("steps", steps).put("seed", seed).put("train_loss", trainLoss)
                        .put("held_out_loss", heldOut).put("seconds", (System.nanoTime() - started) / 1e9));
            });
        }
        JsonNode saved = JSON.readTree(summary.toFile());
        SftSummary result = new SftSummary(dir, cached, steps, saved.get("train_loss").asDouble(),
                saved.get("held_out_loss").asDouble(), saved.get("seconds").asDouble());
        log.printf(Locale.ROOT, "SFT model %s (%s): training loss %.3f, held-out loss %.3f%n", dir,
                cached ? "read from cache" : String.format(Locale.ROOT, "trained in %.0f s", result.seconds()),
                result.trainLoss(), result.heldOutLoss());
        return result;
    }

    /** The sizes. */
    public Config config() {
        return config;
    }

    /** The seed of prompts, SFT and sampling. */
    public long seed() {
        return seed;
    }

    /** The embedded tokenizer. */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** Where the tokenizer files are (copied into every saved model). */
    public Path tokenizerDir() {
        return tokenizerDir;
    }

    /** The training prompts (token ids). */
    public List<int[]> trainPrompts() {
        return trainPrompts;
    }

    /** The held-out prompts (token ids), disjoint from the training prompts. */
    public List<int[]> heldOutPrompts() {
        return heldOutPrompts;
    }

    /** What the SFT stage did. */
    public SftSummary sft() {
        return sft;
    }

    /** The frozen SFT model π_ref (do not train it: load a copy with {@link #loadSftModel}). */
    public CausalLM reference() {
        return reference;
    }

    /** A fresh, trainable copy of the SFT model (the starting point of every method). */
    public CausalLM loadSftModel() {
        return HfModels.load(sft.directory());
    }

    /** The ground-truth reward of a completion (token ids, eos allowed): AFINN sigmoid(score / 2) of its text. */
    public double groundTruth(int[] completion) {
        return afinn.reward(tokenizer.decode(completion, true));
    }

    /** The task's sampling: temperature 1, top-k 0, top-p 1, the config's {@code max_new_tokens}, eos {@value #EOS}. */
    public GenerationConfig sampling(long samplingSeed) {
        return new GenerationConfig(config.maxNewTokens(), true, 1.0, 0, 1.0, List.of(EOS), EOS, samplingSeed);
    }

    /** {@code perPrompt} completions of each prompt, prompt-major (prompt i's j-th at row i * perPrompt + j). */
    public List<int[]> sample(CausalLM model, List<int[]> prompts, int perPrompt, long samplingSeed) {
        int[][] rows = new int[prompts.size() * perPrompt][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = prompts.get(i / perPrompt);
        }
        Generation generation = new Generator(model).generate(rows, sampling(samplingSeed));
        List<int[]> out = new ArrayList<>(rows.length);
        for (int i = 0; i < rows.length; i++) {
            out.add(generation.completion(i));
        }
        return out;
    }

    /**
     * Σ_t log p(y_t | x, y_&lt;t) of each completion y after its prompt x under {@code model}, teacher-forced on
     * inference tapes in batches.
     */
    public static double[] completionLogProbs(CausalLM model, List<int[]> prompts, List<int[]> completions) {
        if (prompts.size() != completions.size()) {
            throw new IllegalArgumentException(prompts.size() + " prompts for " + completions.size() + " completions");
        }
        List<TokenizedSequence> rows = new ArrayList<>(prompts.size());
        for (int i = 0; i < prompts.size(); i++) {
            int[] x = prompts.get(i);
            int[] y = completions.get(i);
            int[] ids = Arrays.copyOf(x, x.length + y.length);
            System.arraycopy(y, 0, ids, x.length, y.length);
            boolean[] mask = new boolean[ids.length];
            Arrays.fill(mask, x.length, ids.length, true);
            rows.add(new TokenizedSequence(ids, mask, "sample " + i));
        }
        double[] out = new double[rows.size()];
        for (int from = 0; from < rows.size(); from += LOGP_BATCH) {
            SequenceBatch b = SequenceBatch.of(rows.subList(from, Math.min(rows.size(), from + LOGP_BATCH)), EOS);
            Tape tape = Tape.inference();
            Var logp = Ops.tokenLogProbs(tape, model.hiddenStates(tape, b.input()), model.lmHead(), b.targets());
            double[] sums = b.rowSums(logp.value());
            System.arraycopy(sums, 0, out, from, sums.length);
        }
        return out;
    }

    /**
     * Evaluates {@code policy} on the held-out prompts: {@code evalSamplesPerPrompt} samples per prompt drawn with
     * {@code samplingSeed}, their mean ground-truth reward and the KL(π || π_ref) estimate.
     */
    public Evaluation evaluate(CausalLM policy, long samplingSeed) {
        int perPrompt = config.evalSamplesPerPrompt();
        List<int[]> completions = sample(policy, heldOutPrompts, perPrompt, samplingSeed);
        List<int[]> prompts = new ArrayList<>(completions.size());
        for (int i = 0; i < completions.size(); i++) {
            prompts.add(heldOutPrompts.get(i / perPrompt));
        }
        double[] policyLogp = completionLogProbs(policy, prompts, completions);
        double[] referenceLogp = policy == reference ? policyLogp
                : completionLogProbs(reference, prompts, completions);
        double[] rewards = new double[completions.size()];
        double[] kls = new double[completions.size()];
        double tokens = 0;
        for (int i = 0; i < rewards.length; i++) {
            rewards[i] = groundTruth(completions.get(i));
            kls[i] = policyLogp[i] - referenceLogp[i];
            tokens += completions.get(i).length;
        }
        return new Evaluation(mean(rewards), stdErr(rewards), mean(kls), stdErr(kls), tokens / rewards.length,
                rewards.length);
    }

    /**
     * Preference pairs as appendix C.1 builds them: {@value #SAMPLES_PER_PAIR_PROMPT} completions of each prompt
     * sampled from {@code model} (the SFT model) with {@code samplingSeed}, and all 6 pairs of them labelled by the
     * ground truth (the higher reward chosen; ties dropped). The examples are pre-tokenized
     * ({@link Example.TokenizedPreference}: the sampled ids exactly, eos included when sampled), so that DPO and the
     * other methods train on the very tokens the model produced.
     */
    public List<Example> preferencePairs(CausalLM model, List<int[]> prompts, long samplingSeed) {
        int k = SAMPLES_PER_PAIR_PROMPT;
        List<int[]> completions = sample(model, prompts, k, samplingSeed);
        List<Example> pairs = new ArrayList<>();
        for (int p = 0; p < prompts.size(); p++) {
            double[] r = new double[k];
            for (int i = 0; i < k; i++) {
                r[i] = groundTruth(completions.get(p * k + i));
            }
            for (int i = 0; i < k; i++) {
                for (int j = i + 1; j < k; j++) {
                    if (r[i] != r[j]) {
                        int w = r[i] > r[j] ? i : j;
                        int l = w == i ? j : i;
                        pairs.add(new Example.TokenizedPreference("prompt " + p + " samples " + w + ">" + l,
                                prompts.get(p), completions.get(p * k + w), completions.get(p * k + l)));
                    }
                }
            }
        }
        return pairs;
    }

    /** The mean of {@code v}. */
    static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    /** The standard error of the mean of {@code v} (0 for fewer than two values). */
    static double stdErr(double[] v) {
        if (v.length < 2) {
            return 0;
        }
        double m = mean(v);
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / (v.length - 1) / v.length);
    }
}
