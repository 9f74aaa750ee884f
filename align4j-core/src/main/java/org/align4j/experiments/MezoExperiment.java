package org.align4j.experiments;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.align4j.OutputFile;
import org.align4j.align.dpo.DpoConfig;
import org.align4j.align.dpo.DpoTrainer;
import org.align4j.align.dpo.PreferenceBatch;
import org.align4j.align.sft.SftTrainer;
import org.align4j.autograd.Tape;
import org.align4j.data.Afinn;
import org.align4j.data.BrownCorpus;
import org.align4j.data.Example;
import org.align4j.data.PreferencePair;
import org.align4j.data.SftTokenization;
import org.align4j.data.TokenizedSequence;
import org.align4j.experiments.MezoExperimentResult.Point;
import org.align4j.experiments.MezoExperimentResult.RunResult;
import org.align4j.experiments.MezoExperimentResult.TaskResult;
import org.align4j.model.CausalLM;
import org.align4j.model.EmbeddedModel;
import org.align4j.model.HfModelWriter;
import org.align4j.model.ModelConfig;
import org.align4j.model.Models;
import org.align4j.tensor.Tensor;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.AdamW;
import org.align4j.train.CheckpointFolders;
import org.align4j.train.HeapPeak;
import org.align4j.train.MeZo;
import org.align4j.train.Trainer;
import org.align4j.train.TrainingArguments;

/**
 * MeZO (Malladi et al. 2023, arXiv 2305.17333) against AdamW on the embedded model, for SFT and for DPO: loss against
 * optimizer steps and against wall-clock seconds, and the peak heap of each optimizer's run beside that of a
 * forward-only pass.
 *
 * <p>Every run starts from the same model: the random initialisation after a short AdamW SFT warm-up on the bundled
 * Brown fiction (the demo's settings). MeZO is a fine-tuning method: its analysis (section 4 of the paper) rests on the
 * low effective rank of a pre-trained model's loss landscape, and every experiment of the paper starts from a
 * pre-trained model; from a random initialisation a zeroth-order method in millions of dimensions makes next to no
 * progress in a budget of minutes. <b>SFT</b> then continues on the same texts (packed rows, held-out texts as the
 * demo splits them). <b>DPO</b> trains on preference pairs of the starting model's own samples ranked by AFINN
 * sentiment ({@link SentimentPairs}, as the demo's preference stage), with the frozen starting model as reference
 * (its log-probs precomputed, which serves both optimizers alike).
 *
 * <p>AdamW runs with the demo's settings (SFT: lr 3e-3, weight decay 0.1, β2 0.95, a 5% ramp, then held constant:
 * its SFT run resumes the warm-up's checkpoint, optimizer state included, and goes on as one run would, since
 * restarting a fresh AdamW, or a decayed schedule, first knocks the model off its descent; DPO: lr 5e-4, β 0.1,
 * cosine). MeZO runs with the paper's settings (its hyperparameter tables: ε = 1e-3, constant learning rate, no weight
 * decay, one direction per step) at the learning rates of the budget: the top of the paper's grid, 1e-5
 * (RoBERTa-large: {1e-7, 1e-6, 1e-5}; OPT: {1e-7, 1e-6}), and larger ones, since a model of millions rather than
 * billions of parameters takes larger zeroth-order steps (the paper's Lemma 2: the usable step shrinks with the
 * effective dimension). A MeZO step is two forward passes and four regenerations of z over every parameter; MeZO gets
 * more steps than AdamW, and the curves against seconds compare equal time.
 */
public final class MezoExperiment {
    /** What the experiment asks. */
    public static final String QUESTION = "How does MeZO (forward passes only, inference memory) compare with AdamW"
            + " for SFT and DPO of the embedded model: loss against steps, against wall-clock time, and peak heap?";
    /** The results file. */
    public static final String RESULTS_FILE = "mezo.json";

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);
    private static final double ZO_EPS = 1e-3;
    /** The demo's SFT rate: the warm-up's, which the AdamW run goes on with. */
    private static final double WARMUP_LR = 3e-3;
    private static final String WARMUP_RUN = "warmup";
    private static final double DPO_LR = 5e-4;

    /**
     * What a budget runs.
     *
     * @param budget        the budget
     * @param modelConfig   config.json of the model
     * @param maxLength     tokens per packed SFT row; DPO's max_length
     * @param batchSize     sequences (SFT) or pairs (DPO) per step
     * @param warmupSteps   AdamW SFT steps that make the starting model
     * @param evalRows      held-out SFT rows evaluated (the first ones)
     * @param sftSteps      AdamW steps of the SFT comparison
     * @param dpoSteps      AdamW steps of the DPO comparison
     * @param mezoStepRatio MeZO steps per AdamW step
     * @param mezoLrs       MeZO learning rates, one run each
     * @param dpoPrompts    prompts sampled for training pairs (a quarter as many again, at least 16, for held-out
     *                      pairs)
     * @param evaluations   held-out evaluations per run (the steps must be multiples)
     */
    public record Settings(ExperimentBudget budget, ObjectNode modelConfig, int maxLength, int batchSize,
                           int warmupSteps, int evalRows, int sftSteps, int dpoSteps, int mezoStepRatio,
                           List<Double> mezoLrs, int dpoPrompts, int evaluations) {
        /** Checks that the evaluations divide every run's steps. */
        public Settings {
            for (int steps : new int[] {sftSteps, dpoSteps}) {
                if (evaluations < 1 || steps % evaluations != 0) {
                    throw new IllegalArgumentException("steps " + steps + " must be a multiple of evaluations "
                            + evaluations);
                }
            }
            if (warmupSteps % (sftSteps / evaluations) != 0) {
                throw new IllegalArgumentException("warm-up steps " + warmupSteps + " must be a multiple of the SFT"
                        + " evaluation interval " + sftSteps / evaluations + " (AdamW resumes the warm-up)");
            }
            mezoLrs = List.copyOf(mezoLrs);
        }

        /**
         * The settings of {@code budget}. smoke: a 2-layer width-64 model, a few steps (under 40 s). small: the
         * embedded model, 100 warm-up steps; SFT: 40 AdamW steps and 200 MeZO steps per learning rate; DPO: 20 and
         * 100 (measured: 199 s on two shared cores, 7.5 minutes under heavy load). full: 300 warm-up steps; SFT: 300
         * AdamW steps and 6,000 MeZO steps per learning rate; DPO: 200 and 4,000 (an estimated 3 hours on two
         * cores).
         */
        public static Settings of(ExperimentBudget budget) {
            ObjectNode embedded = EmbeddedModel.config().json().deepCopy();
            return switch (budget) {
                case SMOKE -> new Settings(budget, embedded.put("hidden_size", 64).put("intermediate_size", 128)
                        .put("num_hidden_layers", 2).put("num_attention_heads", 2).put("num_key_value_heads", 1)
                        .put("head_dim", 32), 64, 8, 24, 8, 6, 4, 2, List.of(1e-5, 1e-3), 16, 2);
                case SMALL -> new Settings(budget, embedded, 128, 8, 100, 32, 40, 20, 5, List.of(1e-5, 1e-4, 1e-3),
                        128, 4);
                case FULL -> new Settings(budget, embedded, 128, 16, 300, 128, 300, 200, 20,
                        List.of(1e-6, 1e-5, 1e-4, 1e-3), 512, 10);
            };
        }
    }

    private final Settings settings;
    private final Path output;
    private final long seed;
    private final PrintStream log;
    private final boolean progressBars;

    /**
     * An experiment under {@code settings} writing into {@code output}, seeded with {@code seed}, reporting progress
     * lines to {@code log} (and the trainer's progress bars when {@code progressBars}).
     */
    public MezoExperiment(Settings settings, Path output, long seed, PrintStream log, boolean progressBars) {
        this.settings = settings;
        this.output = output;
        this.seed = seed;
        this.log = log;
        this.progressBars = progressBars;
    }

    /** Runs the warm-up and both comparisons; writes {@code mezo.json}, the figures and {@code report.md}. */
    public MezoExperimentResult run() throws IOException {
        long started = System.nanoTime();
        Files.createDirectories(output);
        Path tokenizerDir = EmbeddedModel.writeTokenizer(output.resolve("tokenizer"));
        Tokenizer tokenizer = Tokenizer.load(tokenizerDir);
        int eos = tokenizer.eosTokenId().orElseThrow();
        ObjectNode generationConfig = EmbeddedModel.generationConfig();
        BrownCorpus.Split split = BrownCorpus.languageModelingSplit(0);
        List<Example> trainTexts = split.train();
        List<Example> heldOutTexts = split.heldOut();
        SftTokenization tokenization = new SftTokenization(tokenizer, true);
        List<TokenizedSequence> train = SftTokenization.pack(tokenization.tokenizeAll(trainTexts, 0),
                settings.maxLength());
        List<TokenizedSequence> heldOut = SftTokenization.pack(tokenization.tokenizeAll(heldOutTexts, 0),
                settings.maxLength());
        heldOut = heldOut.subList(0, Math.min(settings.evalRows(), heldOut.size()));

        ModelConfig config = ModelConfig.fromJson(settings.modelConfig(), "mezo experiment");
        CausalLM start = Models.randomInit(config, seed);
        long parameters = start.parameters().values().stream().mapToLong(v -> v.value().size()).sum();
        SftRuns sft = new SftRuns(tokenizer, tokenizerDir, generationConfig, train, heldOut);
        long warmupStarted = System.nanoTime();
        Trainer<TokenizedSequence> warmup = sft.trainer(start, WARMUP_RUN, AdamW.NAME, settings.warmupSteps(), false,
                null);
        double before = warmup.evaluate().get("eval_loss");
        warmup.train();
        double after = warmup.evaluate().get("eval_loss");
        sft.startCheckpoint = CheckpointFolders.of(output.resolve("runs").resolve(WARMUP_RUN), settings.warmupSteps());
        sft.startTokens = warmup.state().numInputTokensSeen();
        MezoExperimentResult.Start startPoint = new MezoExperimentResult.Start(settings.warmupSteps(), before, after,
                (System.nanoTime() - warmupStarted) / 1e9);
        log.printf(Locale.ROOT, "mezo experiment (%s): %.2fM parameters; warm-up: %d AdamW SFT steps, held-out loss"
                        + " %.3f -> %.3f (%.0f s)%n", settings.budget().label(), parameters / 1e6,
                settings.warmupSteps(), before, after, startPoint.seconds());

        Map<String, TaskResult> tasks = new LinkedHashMap<>();
        tasks.put("sft", sft.compare(start));
        tasks.put("dpo", dpo(start, tokenizer, tokenizerDir, generationConfig, trainTexts, eos));
        MezoExperimentResult result = new MezoExperimentResult(QUESTION, settings.budget().label(), seed, parameters,
                JSON.convertValue(settings.modelConfig(), Map.class), startPoint, tasks,
                (System.nanoTime() - started) / 1e9);
        OutputFile.writeString(output.resolve(RESULTS_FILE), JSON.writeValueAsString(result));
        MezoExperimentReport.write(result, output);
        return result;
    }

    /** The optimizer runs of one task, by name: AdamW, then MeZO at each learning rate. */
    private interface RunFactory {
        RunResult run(String name, String optim, double lr, int steps) throws IOException;
    }

    private Map<String, RunResult> compare(String task, int adamwSteps, double adamwLr, RunFactory factory)
            throws IOException {
        Map<String, RunResult> runs = new LinkedHashMap<>();
        runs.put(AdamW.NAME, report(task, AdamW.NAME, factory.run(AdamW.NAME, AdamW.NAME, adamwLr, adamwSteps)));
        for (double lr : settings.mezoLrs()) {
            String name = String.format(Locale.ROOT, "mezo lr=%.0e", lr);
            runs.put(name, report(task, name, factory.run(name, MeZo.NAME, lr,
                    adamwSteps * settings.mezoStepRatio())));
        }
        return runs;
    }

    private RunResult report(String task, String name, RunResult r) {
        log.printf(Locale.ROOT, "%s %-14s %5d steps: eval loss %.4f -> %.4f, %.3f s/step, %.0f s, peak heap"
                        + " %.0f MiB%n", task, name, r.steps(), r.evaluations().getFirst().loss(), r.finalEvalLoss(),
                r.secondsPerStep(), r.trainSeconds(), r.peakHeapBytes() / 1048576.0);
        return r;
    }

    /** The SFT comparison: every optimizer continues SFT from the start on the same packed rows. */
    private final class SftRuns {
        private final Tokenizer tokenizer;
        private final Path tokenizerDir;
        private final ObjectNode generationConfig;
        private final List<TokenizedSequence> train;
        private final List<TokenizedSequence> heldOut;

        SftRuns(Tokenizer tokenizer, Path tokenizerDir, ObjectNode generationConfig, List<TokenizedSequence> train,
                List<TokenizedSequence> heldOut) {
            this.tokenizer = tokenizer;
            this.tokenizerDir = tokenizerDir;
            this.generationConfig = generationConfig;
            this.train = train;
            this.heldOut = heldOut;
        }

        /** The warm-up's last checkpoint, where the AdamW run resumes, and the tokens the warm-up read. */
        private Path startCheckpoint;
        private long startTokens;

        /**
         * A trainer of {@code steps} SFT steps; AdamW at the warm-up's constant rate, resuming the warm-up's
         * checkpoint (its weights, optimizer state and data position) when {@code resume} is not null, MeZO at
         * {@code lr}. The warm-up saves a checkpoint at its end.
         */
        Trainer<TokenizedSequence> trainer(CausalLM model, String name, String optim, double lr, int steps,
                                           boolean evaluate, Path resume) {
            Map<String, Object> options = new LinkedHashMap<>(options(name, optim, lr, steps, evaluate));
            if (optim.equals(AdamW.NAME)) {
                options.put("learning_rate", WARMUP_LR);
                options.put("lr_scheduler_type", "constant_with_warmup");
                options.put("warmup_steps", Math.max(1, settings.warmupSteps() / 20));
                options.put("weight_decay", 0.1);
                options.put("adam_beta2", 0.95);
            }
            if (name.equals(WARMUP_RUN)) {
                options.put("save_strategy", "steps");
                options.put("save_steps", steps);
            }
            if (resume != null) {
                options.put("resume_from_checkpoint", resume.toString());
                options.put("max_steps", settings.warmupSteps() + steps);
            }
            return SftTrainer.forSequences(model, generationConfig, tokenizer, tokenizerDir,
                    TrainingArguments.defaults().withOptions(options), train, heldOut);
        }

        Trainer<TokenizedSequence> trainer(CausalLM model, String name, String optim, int steps, boolean evaluate,
                                           Path resume) {
            return trainer(model, name, optim, WARMUP_LR, steps, evaluate, resume);
        }

        TaskResult compare(CausalLM start) throws IOException {
            Trainer<TokenizedSequence> forward = trainer(copy(start), "forward-only", MeZo.NAME, 0, 1, false, null);
            long forwardPeak = forwardOnlyPeak(forward::evaluate);
            Map<String, RunResult> runs = MezoExperiment.this.compare("sft", settings.sftSteps(), WARMUP_LR,
                    (name, optim, lr, steps) -> {
                        boolean adamw = optim.equals(AdamW.NAME);
                        Trainer<TokenizedSequence> trainer = trainer(copy(start), "sft/" + name, optim, lr, steps,
                                true, adamw ? startCheckpoint : null);
                        Map<String, Object> first = new LinkedHashMap<>(trainer.evaluate());
                        first.put("step", 0);
                        HeapPeak.reset();
                        trainer.train();
                        long peak = HeapPeak.peakBytes();
                        List<Map<String, Object>> history = trainer.state().logHistory();
                        return result(adamw ? continued(first, history) : history, optim, lr, steps, peak);
                    });
            return new TaskResult("continued SFT on the packed Brown fiction rows (" + settings.maxLength()
                    + " tokens); held-out: the first " + heldOut.size() + " rows of the held-out texts", train.size(),
                    heldOut.size(), forwardPeak, runs);
        }

        /**
         * The log of a run resumed from the warm-up, as if it had started at step 0: the warm-up's entries dropped
         * (the resume restores them), steps and token counts taken from the start, the evaluation of the start first.
         */
        private List<Map<String, Object>> continued(Map<String, Object> startEvaluation,
                                                    List<Map<String, Object>> history) {
            List<Map<String, Object>> out = new ArrayList<>(List.of(startEvaluation));
            for (Map<String, Object> entry : history) {
                long step = ((Number) entry.get("step")).longValue();
                if (step > settings.warmupSteps()) {
                    Map<String, Object> shifted = new LinkedHashMap<>(entry);
                    shifted.put("step", step - settings.warmupSteps());
                    if (entry.get("num_tokens") instanceof Number tokens) {
                        shifted.put("num_tokens", tokens.longValue() - startTokens);
                    }
                    out.add(shifted);
                }
            }
            return out;
        }
    }

    /**
     * The DPO comparison: pairs of the start model's samples on training-paragraph openings, ranked by AFINN; held-out
     * pairs from further openings; the frozen start model as reference.
     */
    private TaskResult dpo(CausalLM start, Tokenizer tokenizer, Path tokenizerDir, ObjectNode generationConfig,
                           List<Example> trainTexts, int eos) throws IOException {
        int heldOutPrompts = Math.max(16, settings.dpoPrompts() / 4);
        List<String> prompts = SentimentPairs.prompts(trainTexts, settings.dpoPrompts() + heldOutPrompts);
        Afinn afinn = Afinn.bundled();
        List<Example> pairs = SentimentPairs.build(start, tokenizer, prompts.subList(0, settings.dpoPrompts()), afinn,
                eos, seed + 2);
        List<Example> heldOut = SentimentPairs.build(start, tokenizer,
                prompts.subList(settings.dpoPrompts(), prompts.size()), afinn, eos, seed + 3);
        if (pairs.isEmpty() || heldOut.isEmpty()) {
            throw new IllegalStateException("dpo: the start model's samples tied in sentiment on every prompt ("
                    + pairs.size() + " training, " + heldOut.size() + " held-out pairs): warm up longer");
        }
        log.printf(Locale.ROOT, "dpo: %d training and %d held-out pairs (AFINN-ranked samples of the start model)%n",
                pairs.size(), heldOut.size());
        HfModelWriter writer = new HfModelWriter(generationConfig, tokenizerDir);
        CausalLM forwardModel = copy(start);
        List<PreferencePair> tokenized = new DpoTrainer(forwardModel, null, dpoConfig("forward-only", AdamW.NAME,
                DPO_LR, 1, false), pairs, List.of(), tokenizer, writer).trainDataset();
        long forwardPeak = forwardOnlyPeak(() -> {
            for (int from = 0; from < tokenized.size(); from += settings.batchSize()) {
                PreferenceBatch.of(tokenized.subList(from, Math.min(tokenized.size(), from + settings.batchSize())),
                        eos).tokenLogProbs(Tape.inference(), forwardModel);
            }
        });
        Map<String, RunResult> runs = compare("dpo", settings.dpoSteps(), DPO_LR, (name, optim, lr, steps) -> {
            DpoTrainer trainer = new DpoTrainer(copy(start), null, dpoConfig("dpo/" + name, optim, lr, steps, true),
                    pairs, heldOut, tokenizer, writer);
            HeapPeak.reset();
            DpoTrainer.Result r = trainer.train();
            long peak = HeapPeak.peakBytes();
            List<Map<String, Object>> history = new ArrayList<>(r.state().logHistory());
            // at step 0 the policy is the reference: every implicit reward is 0 and the sigmoid loss is ln 2
            history.addFirst(Map.of("step", 0, "eval_loss", Math.log(2), "eval_runtime", 0.0));
            return result(history, optim, lr, steps, peak);
        });
        return new TaskResult("DPO (sigmoid, beta 0.1) on AFINN-ranked pairs of the start model's samples, frozen start"
                + " model as reference (log-probs precomputed)", pairs.size(), heldOut.size(), forwardPeak, runs);
    }

    private DpoConfig dpoConfig(String name, String optim, double lr, int steps, boolean evaluate) {
        Map<String, Object> options = new LinkedHashMap<>(options(name, optim, lr, steps, evaluate));
        options.put("beta", 0.1);
        options.put("max_length", settings.maxLength());
        options.put("precompute_ref_log_probs", true);
        return DpoConfig.defaults().withOptions(options);
    }

    /** Options every run shares; MeZO's constant rate, ε and no weight decay as in the paper. */
    private Map<String, Object> options(String name, String optim, double lr, int steps, boolean evaluate) {
        int evalSteps = steps / settings.evaluations();
        Map<String, Object> options = new LinkedHashMap<>(Map.ofEntries(
                Map.entry("output_dir", output.resolve("runs").resolve(name.replace(' ', '_')).toString()),
                Map.entry("optim", optim), Map.entry("learning_rate", lr), Map.entry("max_steps", steps),
                Map.entry("per_device_train_batch_size", settings.batchSize()),
                Map.entry("per_device_eval_batch_size", settings.batchSize()),
                Map.entry("logging_steps", Math.max(1, steps / 30)),
                Map.entry("eval_strategy", evaluate ? "steps" : "no"), Map.entry("eval_steps", Math.max(1, evalSteps)),
                Map.entry("save_strategy", "no"), Map.entry("seed", seed), Map.entry("disable_tqdm", !progressBars),
                Map.entry("plot_loss", false)));
        if (optim.equals(MeZo.NAME)) {
            options.put("lr_scheduler_type", "constant");
            options.put("optim_args", "zo_eps=" + ZO_EPS);
        }
        return options;
    }

    /** Forward passes only, e.g. the trainer's evaluation. */
    private interface ForwardPasses {
        void run() throws IOException;
    }

    /** Peak heap of {@code passes} (run once before, so that nothing is measured that a first call allocates). */
    private static long forwardOnlyPeak(ForwardPasses passes) throws IOException {
        passes.run();
        HeapPeak.reset();
        passes.run();
        return HeapPeak.peakBytes();
    }

    /**
     * A run's curves from its log history. The training seconds at a logging entry add up the logging windows
     * (tokens in the window / its tokens_per_second), less the evaluations that fell into them.
     */
    private RunResult result(List<Map<String, Object>> history, String optim, double lr, int steps, long peakHeap) {
        List<Point> training = new ArrayList<>();
        List<Point> evaluations = new ArrayList<>();
        double seconds = 0;
        double evalSecondsInWindow = 0;
        long tokens = 0;
        for (Map<String, Object> entry : history) {
            long step = ((Number) entry.get("step")).longValue();
            if (entry.get("eval_loss") instanceof Number loss) {
                evaluations.add(new Point(step, seconds, loss.doubleValue()));
                if (step > 0) {
                    evalSecondsInWindow += ((Number) entry.get("eval_runtime")).doubleValue();
                }
            } else if (entry.get("loss") instanceof Number loss
                    && entry.get("tokens_per_second") instanceof Number tps) {
                long seen = ((Number) entry.get("num_tokens")).longValue();
                seconds += Math.max(0, (seen - tokens) / tps.doubleValue() - evalSecondsInWindow);
                tokens = seen;
                evalSecondsInWindow = 0;
                training.add(new Point(step, seconds, loss.doubleValue()));
            }
        }
        boolean mezo = optim.equals(MeZo.NAME);
        return new RunResult(optim, lr, mezo ? "constant" : "cosine", mezo ? ZO_EPS : null, steps,
                settings.batchSize(), training, evaluations, seconds, peakHeap);
    }

    /** A copy of {@code model} with its own parameter tensors. */
    private static CausalLM copy(CausalLM model) {
        Map<String, Tensor> copies = new LinkedHashMap<>();
        model.parameters().forEach((name, v) -> copies.put(name, v.value().copy()));
        return Models.create(model.config(), copies::get, "copy of the start model");
    }
}
