package org.align4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import org.align4j.InputException;
import org.align4j.align.dice.DiceConfig;
import org.align4j.align.dice.DiceLoop;
import org.align4j.align.dice.DiceRollouts;
import org.align4j.align.dice.DicePrompt;
import org.align4j.align.dice.DiceRound;
import org.align4j.align.dpo.DpoConfig;
import org.align4j.align.dpo.DpoRounds;
import org.align4j.data.JsonlDataset;
import org.align4j.model.CausalLM;
import org.align4j.model.GenerationConfig;
import org.align4j.model.HfModelWriter;
import org.align4j.model.io.Dtype;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.OptionRecords;
import org.align4j.train.RunFolder;
import org.align4j.train.TrainingArguments;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code align4j dice}: DICE self-alignment rounds ({@link DiceLoop}; Chen et al. 2025) from a DPO model and its
 * reference. The DPO run of each round takes the {@code dpo} command's options (TRL {@code DPOConfig} names as
 * kebab-case flags or in {@code --config}); {@code --seed} also seeds the sampling.
 */
@Command(name = "dice", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
        modelTransformer = DiceCommand.Flags.class,
        description = {"DICE: rounds of sampling from the DPO policy, scoring the samples with its implicit reward "
                + "log pi(y|x) - log pi_ref(y|x) minus alpha |y|, pairing best and worst, mixing with offline pairs "
                + "and training DPO again.",
                "Writes output/round_k/{samples,scores,pairs,train_data,dpo} and dice_summary.json; a rerun skips the "
                        + "stages that exist.",
                "DPO options: TRL's DPOConfig / TrainingArguments names as flags (--beta 0.1) or in --config; --seed "
                        + "also seeds the sampling (round k: seed + k - 1)."})
public final class DiceCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "The DPO policy pi_1 (HF folder).")
    private Path model;

    @Option(names = "--ref-model", required = true, paramLabel = "DIR",
            description = "The reference of its DPO run, pi_ref (scores round 1).")
    private Path refModel;

    @Option(names = "--tokenizer", paramLabel = "DIR", description = "Tokenizer folder (default: --model).")
    private Path tokenizer;

    @Option(names = "--prompts", required = true, paramLabel = "FILE", description = "Prompt-only JSONL {\"prompt\"}.")
    private Path prompts;

    @Option(names = "--offline-data", required = true, paramLabel = "FILE",
            description = "Offline preference JSONL for experience replay.")
    private Path offlineData;

    @Option(names = {"--output", "--output-dir"}, required = true, paramLabel = "DIR", description = "Run folder.")
    private Path output;

    @Mixin
    private SaveDtypeOption saveDtype;

    @Mixin
    private TorchDtypeOption torchDtype;

    @Option(names = "--spark-master", paramLabel = "URL",
            description = "Sample and score on this Spark cluster (e.g. local[2]); needs align4j-spark (its dice).")
    private String sparkMaster;

    @Option(names = "--config", paramLabel = "FILE",
            description = "YAML or JSON file of DICE and DPOConfig options (snake_case names); flags override it.")
    private Path config;

    /** DICE's own options as flags, with their defaults. */
    static final Map<String, Object> DICE_DEFAULTS = OptionRecords.toOptions(DiceConfig.Options.defaults());

    /** Adds DICE's own options and the DPO options as flags. */
    public static final class Flags implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec commandSpec) {
            new DpoCommand.Flags().transform(commandSpec);
            ConfigFlags.add(commandSpec, DICE_DEFAULTS, ConfigFlags.booleanOptions(DiceConfig.Options.class));
            return commandSpec;
        }
    }

    @Override
    public Integer call() throws IOException {
        Map<String, Object> fromFile = config != null ? TrainingArguments.readOptions(config) : Map.of();
        Map<String, Object> dpoFromFile = new LinkedHashMap<>(fromFile);
        Map<String, Object> diceFromFile = TrainingOptions.take(dpoFromFile, DICE_DEFAULTS.keySet());
        String fileSource = config != null ? config.toString() : "options";
        DiceConfig.Options diceOptions = OptionRecords.merge(
                OptionRecords.merge(DiceConfig.Options.defaults(), diceFromFile, DiceConfig.Options.class, fileSource),
                ConfigFlags.given(spec, DICE_DEFAULTS.keySet()), DiceConfig.Options.class, OptionRecords.COMMAND_LINE);
        DpoConfig dpo = DpoConfig.fromOptions(dpoFromFile, fileSource, DpoConfig.defaults());
        dpo = DpoConfig.fromOptions(ConfigFlags.given(spec, DpoCommand.FLAG_OPTIONS), OptionRecords.COMMAND_LINE, dpo);
        Path tokenizerDir = tokenizer != null ? tokenizer : model;
        Tokenizer processingClass = tokenizer != null || Files.isRegularFile(model.resolve(Tokenizer.TOKENIZER_FILE))
                ? Tokenizer.load(tokenizerDir) : null;
        if (processingClass == null) {
            throw new InputException(model + ": no " + Tokenizer.TOKENIZER_FILE
                    + ": DICE decodes its samples and tokenizes text prompts; pass --tokenizer");
        }
        List<DicePrompt> promptList = DicePrompt.of(JsonlDataset.read(prompts), processingClass);
        var offline = JsonlDataset.read(offlineData);
        CausalLM policy = saveDtype.load(model);
        CausalLM reference = torchDtype.loadFrozen(refModel);
        DiceConfig dice = DiceConfig.of(diceOptions, dpo, GenerationConfig.load(model, policy.config()));
        Files.createDirectories(output);
        Map<String, Object> resolved = new LinkedHashMap<>(dpo.toOptions());
        resolved.putAll(OptionRecords.toOptions(diceOptions));
        new RunFolder(output).replace(DiceConfig.FILE_NAME, file -> Files.writeString(file, OptionRecords.toJson(resolved)));
        PrintWriter out = spec.commandLine().getOut();
        DiceLoop loop = new DiceLoop(dice, processingClass, HfModelWriter.of(model, tokenizerDir),
                torchDtype.storage(model));
        if (sparkMaster != null) {
            if (torchDtype.storage(model) != Dtype.F32 || policy.config().dtype() == Dtype.BF16) {
                throw new InputException("--spark-master: the executors read each round's models from their folders, "
                        + "which must hold the float32 weights the rounds run on; " + model + " is bfloat16 or "
                        + "--torch-dtype asks for it");
            }
            DiceRollouts.Provider spark = ServiceLoader.load(DiceRollouts.Provider.class).findFirst()
                    .orElseThrow(() -> new InputException("--spark-master: Spark is not on the class path; run "
                            + "'align4j-spark dice' (README, Spark)"));
            loop.runRolloutsWith(spark.create(sparkMaster, tokenizerDir), model, refModel);
        }
        DpoRounds.Run<DiceRound> run = loop.run(policy, reference, promptList, offline, output, (round, stage, skipped) -> {
            out.printf(Locale.ROOT, "dice: round %d %s %s%n", round, stage.folder(),
                    skipped ? "skipped (exists)" : "done");
            out.flush();
        });
        for (DiceRound r : run.rounds()) {
            out.printf(Locale.ROOT, "dice: round %d: %d of %d samples ended; alpha %.4g; mean %s length chosen/rejected "
                            + "%.1f/%.1f -> %.1f/%.1f over %d pairs; trained on %d generated + %d offline pairs; "
                            + "model %s%n", r.round(), r.endedSamples(), r.samples(), r.alpha(), dice.lengthUnit()
                            .label(), r.before().meanChosen(), r.before().meanRejected(), r.after().meanChosen(),
                    r.after().meanRejected(), r.after().pairs(), r.replay().generated(), r.offlineTaken(), r.model());
        }
        out.printf(Locale.ROOT, "dice: wrote %s%n", output.resolve(DiceLoop.SUMMARY_FILE));
        out.flush();
        if (run.stopped() != null) {
            throw new InputException(run.stopped());
        }
        return 0;
    }
}
