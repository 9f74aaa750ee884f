package org.align4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import org.align4j.InputException;
import org.align4j.OutputFile;
import org.align4j.align.dpo.DpoConfig;
import org.align4j.align.dpo.DpoRounds;
import org.align4j.align.panels.PanelEvaluation;
import org.align4j.align.panels.PanelFeedbackConfig;
import org.align4j.align.panels.PanelFeedbackLoop;
import org.align4j.align.panels.PanelRound;
import org.align4j.data.panels.ExtractivePanelBuilder;
import org.align4j.data.panels.ModelPanelBuilder;
import org.align4j.data.panels.ModelTextCompleter;
import org.align4j.data.panels.PanelBuilder;
import org.align4j.data.panels.PanelSizes;
import org.align4j.data.panels.PanelTask;
import org.align4j.data.panels.ParagraphPanel;
import org.align4j.data.panels.Story;
import org.align4j.model.CausalLM;
import org.align4j.model.GenerationConfig;
import org.align4j.model.HfModelWriter;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.OptionRecords;
import org.align4j.train.RunFolder;
import org.align4j.train.TrainingArguments;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** {@code align4j panels ...}: condition panels (RecurrentGPT-style context) built from raw text. */
@Command(name = "panels", mixinStandardHelpOptions = true,
        description = "Condition panels (latest paragraph, characters, places, plan, memories) built from raw text.",
        subcommands = {PanelsCommand.Build.class, PanelsCommand.Improve.class})
public final class PanelsCommand implements Runnable {

    @Spec
    private CommandSpec spec;

    /** Without a subcommand there is nothing to run: reports the usage error. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "Missing subcommand: choose one (build, improve)");
    }

    /** {@code align4j panels build}: panels and panel training data from a JSONL of texts. */
    @Command(name = "build", mixinStandardHelpOptions = true, description = {
            "Builds a condition panel for every paragraph after the first of each text, and writes training examples",
            "{\"prompt\", \"completion\", \"condition\", \"task\", \"source\"} (readable by sft and crlft) of the tasks",
            "write (panel -> next paragraph) and build (paragraphs -> panel), or the panels themselves",
            "{\"source\", \"paragraph\", \"panel\"}.",
            "Builders: extractive (no model) or model (a chat or base model prompted as RecurrentGPT prompts, output",
            "parsed and retried)."})
    static final class Build implements Callable<Integer> {
        private static final ObjectMapper JSON = new ObjectMapper();

        @Option(names = "--input", description = "JSONL of texts: {\"paragraphs\": [...]} (optional \"id\") or"
                + " {\"text\"} (default: the bundled Brown fiction, whose paragraphs are sentences)")
        Path input;
        @Option(names = "--output", required = true, description = "output JSONL")
        Path output;
        @Option(names = "--builder", defaultValue = "extractive",
                description = "extractive or model (default ${DEFAULT-VALUE})")
        String builder;
        @Option(names = "--model", description = "model directory for --builder model")
        Path model;
        @Option(names = "--tokenizer", description = "tokenizer directory (default: the model directory)")
        Path tokenizerDir;
        @Option(names = "--chat-template", negatable = true, defaultValue = "true", fallbackValue = "true",
                description = "send the model's prompt as a user message of the tokenizer's chat template when it has"
                        + " one (default: ${DEFAULT-VALUE})")
        boolean chatTemplate;
        @Option(names = "--max-new-tokens", defaultValue = "256",
                description = "tokens the model writes at most per panel (default ${DEFAULT-VALUE})")
        int maxNewTokens;
        @Option(names = "--attempts", defaultValue = "3",
                description = "tries per paragraph when the model's panel does not parse (default ${DEFAULT-VALUE})")
        int attempts;
        @Option(names = "--fallback-extractive", description = "use the extractive panel where the model's output"
                + " never parsed (default: stop with an error)")
        boolean fallbackExtractive;
        @Option(names = "--format", defaultValue = "examples",
                description = "examples or panels (default ${DEFAULT-VALUE})")
        String format;
        @Option(names = "--tasks", defaultValue = "write,build", split = ",",
                description = "tasks of the examples: write, build (default ${DEFAULT-VALUE})")
        List<String> tasks;
        @Option(names = "--condition", description = "the examples' condition (data source) for C-RLFT (default:"
                + " the builder's name)")
        String condition;
        @Option(names = "--paragraph-words", defaultValue = "0", description = "merge consecutive paragraphs into"
                + " paragraphs of at most N words first, e.g. 40 for the bundled sentences (default ${DEFAULT-VALUE}:"
                + " keep them)")
        int paragraphWords;
        @Option(names = "--seed", defaultValue = "0", description = "sampling seed of the model's retries"
                + " (default ${DEFAULT-VALUE})")
        long seed;

        @Mixin
        private TorchDtypeOption torchDtype;

        @Override
        public Integer call() throws IOException {
            if (!format.equals("examples") && !format.equals("panels")) {
                throw new InputException("--format must be examples or panels, got '" + format + "'");
            }
            Set<PanelTask> taskSet = new LinkedHashSet<>();
            tasks.forEach(t -> taskSet.add(PanelTask.of(t)));
            List<Story> stories = new ArrayList<>();
            for (Story s : input == null ? Story.brownFiction() : Story.read(input)) {
                stories.add(s.regrouped(paragraphWords));
            }
            ExtractivePanelBuilder extractive = new ExtractivePanelBuilder(PanelSizes.defaults());
            PanelBuilder panels = switch (builder) {
                case "extractive" -> extractive;
                case "model" -> modelBuilder(extractive);
                default -> throw new InputException("--builder must be extractive or model, got '" + builder
                        + "'");
            };
            String source = condition != null ? condition : builder;
            int context = extractive.sizes().latestParagraphs() + extractive.sizes().shortTermParagraphs();
            Map<PanelTask, Integer> counts = new EnumMap<>(PanelTask.class);
            StringBuilder lines = new StringBuilder();
            int panelCount = 0;
            for (Story story : stories) {
                for (ParagraphPanel p : panels.build(story)) {
                    panelCount++;
                    if (format.equals("panels")) {
                        ObjectNode row = JSON.createObjectNode().put("source", p.source())
                                .put("paragraph", p.paragraph());
                        row.set("panel", JSON.readTree(p.panel().toJson()));
                        lines.append(JSON.writeValueAsString(row)).append('\n');
                        continue;
                    }
                    for (PanelTask task : taskSet) {
                        lines.append(JSON.writeValueAsString(task.example(p, context, source).toJson())).append('\n');
                        counts.merge(task, 1, Integer::sum);
                    }
                }
            }
            Files.createDirectories(output.toAbsolutePath().getParent());
            OutputFile.writeString(output, lines.toString());
            System.out.printf("built %d panels of %d texts with the %s builder%s; wrote %s to %s%n", panelCount,
                    stories.size(), builder, panels instanceof ModelPanelBuilder m ? " (" + m.completions()
                            + " model calls, " + m.fallbacks() + " extractive fallbacks)" : "",
                    format.equals("panels") ? panelCount + " panels" : exampleCounts(counts), output);
            return 0;
        }

        private static String exampleCounts(Map<PanelTask, Integer> counts) {
            List<String> parts = new ArrayList<>();
            counts.forEach((task, n) -> parts.add(n + " " + task.jsonName()));
            return String.join(" and ", parts) + " examples";
        }

        private ModelPanelBuilder modelBuilder(ExtractivePanelBuilder extractive) {
            if (model == null) {
                throw new InputException("--builder model needs --model DIR");
            }
            Tokenizer tokenizer = Tokenizer.load(tokenizerDir != null ? tokenizerDir : model);
            CausalLM lm = torchDtype.loadFrozen(model);
            GenerationConfig config = GenerationConfig.load(model, lm.config()).withMaxNewTokens(maxNewTokens)
                    .withSeed(seed);
            return new ModelPanelBuilder(new ModelTextCompleter(lm, tokenizer, config, chatTemplate), extractive,
                    attempts, fallbackExtractive);
        }
    }

    /**
     * {@code align4j panels improve}: rounds of AI feedback for a panel-builder model ({@link PanelFeedbackLoop}). The
     * DPO run of each round takes the {@code dpo} command's options (TRL {@code DPOConfig} names as kebab-case flags or
     * in {@code --config}); {@code --seed} also seeds the sampling and the held-out split.
     */
    @Command(name = "improve", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
            modelTransformer = Improve.Flags.class, description = {
            "RLAIF rounds for a panel builder: the builder samples --num-generations panels (build format: characters,",
            "places, plan, short-term memory) per paragraph; the writer scores each by its mean log-likelihood per",
            "token of the true paragraph given the panel minus --copy-penalty x the share of the paragraph's words the",
            "panel restates; DPO trains the builder on the best and worst panel of each paragraph, against its frozen",
            "copy. Per round on the held-out texts: the writer's loss with the builder's greedy panels, the win rate",
            "against round 0, mean log-likelihood and overlap, parse failures.",
            "Writes output/round_0/eval, output/round_k/{samples,scores,pairs,train_data,dpo,eval} and",
            "panels_summary.json; a rerun skips the stages that exist."})
    static final class Improve implements Callable<Integer> {
        /** The loop's own options as flags, with their defaults. */
        static final Map<String, Object> DEFAULTS = OptionRecords.toOptions(PanelFeedbackConfig.Options.defaults());

        @Spec
        private CommandSpec spec;

        @Option(names = "--builder", required = true, paramLabel = "DIR",
                description = "The panel builder to train (HF folder with its tokenizer).")
        Path builder;
        @Option(names = "--writer", required = true, paramLabel = "DIR",
                description = "The writer whose likelihood is the feedback (HF folder, same tokenizer).")
        Path writer;
        @Option(names = "--input", required = true, paramLabel = "FILE",
                description = "JSONL of texts as panels build reads them: {\"paragraphs\": [...]} or {\"text\"}.")
        Path input;
        @Option(names = {"--output", "--output-dir"}, required = true, paramLabel = "DIR", description = "Run folder.")
        Path output;
        @Option(names = "--test-size", defaultValue = "0.2", paramLabel = "SHARE", description = "Share of the texts"
                + " held out for evaluation (at least one), drawn with --seed (default ${DEFAULT-VALUE}).")
        double testSize;
        @Option(names = "--paragraph-words", defaultValue = "0", paramLabel = "N", description = "Merge consecutive"
                + " paragraphs into paragraphs of at most N words first (default ${DEFAULT-VALUE}: keep them).")
        int paragraphWords;
        @Option(names = "--config", paramLabel = "FILE", description = "YAML or JSON file of the loop's and"
                + " DPOConfig's options (snake_case names); flags override it.")
        Path config;

        @Mixin
        private SaveDtypeOption saveDtype;

        @Mixin
        private TorchDtypeOption torchDtype;

        /** Adds the loop's own options and the DPO options as flags. */
        public static final class Flags implements CommandLine.IModelTransformer {
            @Override
            public CommandSpec transform(CommandSpec commandSpec) {
                new DpoCommand.Flags().transform(commandSpec);
                ConfigFlags.add(commandSpec, DEFAULTS, ConfigFlags.booleanOptions(PanelFeedbackConfig.Options.class));
                return commandSpec;
            }
        }

        @Override
        public Integer call() throws IOException {
            Map<String, Object> dpoFromFile = new LinkedHashMap<>(config != null ? TrainingArguments.readOptions(config)
                    : Map.of());
            Map<String, Object> ownFromFile = TrainingOptions.take(dpoFromFile, DEFAULTS.keySet());
            String fileSource = config != null ? config.toString() : "options";
            PanelFeedbackConfig.Options options = OptionRecords.merge(OptionRecords.merge(
                    PanelFeedbackConfig.Options.defaults(), ownFromFile, PanelFeedbackConfig.Options.class, fileSource),
                    ConfigFlags.given(spec, DEFAULTS.keySet()), PanelFeedbackConfig.Options.class,
                    OptionRecords.COMMAND_LINE);
            DpoConfig dpo = DpoConfig.fromOptions(dpoFromFile, fileSource, DpoConfig.defaults());
            dpo = DpoConfig.fromOptions(ConfigFlags.given(spec, DpoCommand.FLAG_OPTIONS), OptionRecords.COMMAND_LINE,
                    dpo);
            if (!(testSize > 0 && testSize < 1)) {
                throw new InputException("--test-size must be in (0, 1), got " + testSize);
            }
            Tokenizer tokenizer = sharedTokenizer(builder, writer);
            List<Story> stories = new ArrayList<>();
            for (Story s : Story.read(input)) {
                stories.add(s.regrouped(paragraphWords));
            }
            List<List<Story>> split = split(stories, testSize, dpo.training().seed(), input);
            ExtractivePanelBuilder extractive = new ExtractivePanelBuilder(PanelSizes.defaults());
            List<ParagraphPanel> train = panels(split.get(0), extractive);
            List<ParagraphPanel> heldOut = panels(split.get(1), extractive);
            CausalLM builderModel = saveDtype.load(builder);
            CausalLM writerModel = torchDtype.loadFrozen(writer);
            PanelFeedbackConfig loopConfig = PanelFeedbackConfig.of(options, dpo,
                    GenerationConfig.load(builder, builderModel.config()));
            Files.createDirectories(output);
            Map<String, Object> resolved = new LinkedHashMap<>(dpo.toOptions());
            resolved.putAll(OptionRecords.toOptions(options));
            new RunFolder(output).replace(PanelFeedbackConfig.FILE_NAME,
                    file -> Files.writeString(file, OptionRecords.toJson(resolved)));
            PrintWriter out = spec.commandLine().getOut();
            out.printf(Locale.ROOT, "panels improve: %d training paragraphs of %d texts, %d held-out paragraphs of %d"
                    + " texts%n", train.size(), split.get(0).size(), heldOut.size(), split.get(1).size());
            PanelFeedbackLoop loop = new PanelFeedbackLoop(loopConfig, tokenizer, HfModelWriter.of(builder, builder),
                    torchDtype.storage(builder));
            DpoRounds.Run<PanelRound> run = loop.run(builderModel, writerModel, train, heldOut, output,
                    (round, stage, skipped) -> {
                        out.printf(Locale.ROOT, "panels improve: round %d %s %s%n", round, stage.folder(),
                                skipped ? "skipped (exists)" : "done");
                        out.flush();
                    });
            for (PanelRound r : run.rounds()) {
                PanelEvaluation e = r.heldOut();
                out.printf(Locale.ROOT, "panels improve: round %d: %sheld-out loss %.4f, mean log-likelihood %.4f,"
                                + " overlap %.3f, score %.4f, win rate vs round 0 %.3f, parse failures %d/%d%s%n",
                        r.round(), r.round() == 0 ? "" : String.format(Locale.ROOT, "%d pairs from %d of %d valid "
                                + "candidates; ", r.pairs(), r.validCandidates(), r.candidates()), e.heldOutLoss(),
                        e.meanLogLikelihood(), e.meanOverlap(), e.meanScore(), e.winRate(), e.parseFailures(),
                        e.paragraphs(), r.model() == null ? "" : "; model " + r.model());
            }
            out.printf(Locale.ROOT, "panels improve: wrote %s%n", output.resolve(PanelFeedbackLoop.SUMMARY_FILE));
            out.flush();
            if (run.stopped() != null) {
                throw new InputException(run.stopped());
            }
            return 0;
        }

        /** The tokenizer both models' folders hold; a missing or different one is bad input. */
        private static Tokenizer sharedTokenizer(Path builder, Path writer) {
            for (Path dir : List.of(builder, writer)) {
                if (!Files.isRegularFile(dir.resolve(Tokenizer.TOKENIZER_FILE))) {
                    throw new InputException(dir + ": no " + Tokenizer.TOKENIZER_FILE + ": panels improve needs the"
                            + " tokenizer the builder and the writer share in both model folders");
                }
            }
            Tokenizer b = Tokenizer.load(builder);
            Tokenizer w = Tokenizer.load(writer);
            String difference = null;
            if (b.vocabSize() != w.vocabSize()) {
                difference = b.vocabSize() + " and " + w.vocabSize() + " tokens";
            } else if (!b.eosToken().equals(w.eosToken())) {
                difference = "eos tokens " + b.eosToken().orElse("none") + " and " + w.eosToken().orElse("none");
            } else {
                for (int id = 0; id < b.vocabSize() && difference == null; id++) {
                    if (!b.token(id).equals(w.token(id))) {
                        difference = "token " + id + " is '" + b.token(id) + "' and '" + w.token(id) + "'";
                    }
                }
            }
            if (difference != null) {
                throw new InputException("--builder " + builder + " and --writer " + writer + " have different "
                        + "tokenizers (" + difference + "): the writer reads the builder's panels in its ids; give "
                        + "both the same tokenizer");
            }
            return b;
        }

        /** Training and held-out texts: a seeded shuffle, the first round(n × share) (at least one) held out. */
        private static List<List<Story>> split(List<Story> stories, double share, long seed, Path input) {
            if (stories.size() < 2) {
                throw new InputException(input + ": panels improve needs at least two texts (one to train on, one"
                        + " held out), got " + stories.size());
            }
            List<Story> shuffled = new ArrayList<>(stories);
            Collections.shuffle(shuffled, new Random(seed));
            int held = Math.clamp(Math.round(stories.size() * share), 1, stories.size() - 1);
            return List.of(shuffled.subList(held, shuffled.size()), shuffled.subList(0, held));
        }

        private static List<ParagraphPanel> panels(List<Story> stories, ExtractivePanelBuilder extractive) {
            List<ParagraphPanel> panels = new ArrayList<>();
            stories.forEach(s -> panels.addAll(extractive.build(s)));
            return panels;
        }
    }
}
