package org.align4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.align4j.InputException;
import org.align4j.align.dice.DiceConfig;
import org.align4j.align.dice.DiceLoop;
import org.align4j.align.dice.DicePrompt;
import org.align4j.align.dice.DiceRound;
import org.align4j.align.dpo.DpoConfig;
import org.align4j.data.JsonlDataset;
import org.align4j.model.CausalLM;
import org.align4j.model.GenerationConfig;
import org.align4j.model.HfModelWriter;
import org.align4j.tokenizer.Tokenizer;
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
        modelTransformer = DpoCommand.Flags.class,
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

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Run folder.")
    private Path output;

    @Mixin
    private SaveDtypeOption saveDtype;

    @Mixin
    private TorchDtypeOption torchDtype;

    @Option(names = "--config", paramLabel = "FILE", description = "YAML or JSON file of DPOConfig options.")
    private Path config;

    @Option(names = "--rounds", defaultValue = "2", description = "DICE rounds (default ${DEFAULT-VALUE}).")
    private int rounds;

    @Option(names = "--samples-per-prompt", defaultValue = "16",
            description = "Responses sampled per prompt, K (default ${DEFAULT-VALUE}).")
    private int samplesPerPrompt;

    @Option(names = "--gamma", defaultValue = "0.5",
            description = "Share of offline pairs in each round's data, in [0, 1) (default ${DEFAULT-VALUE}).")
    private double gamma;

    @Option(names = "--length-unit", defaultValue = "chars",
            description = "|y| in chars (the authors') or tokens (default ${DEFAULT-VALUE}).")
    private String lengthUnit;

    @Option(names = "--alpha-grid", defaultValue = "0:1:0.001", paramLabel = "GRID",
            description = "alpha values swept: start:stop:step (stop included) or a comma list; the alpha whose pairs"
                    + " have the smallest |mean chosen length - mean rejected length| wins (default ${DEFAULT-VALUE}).")
    private String alphaGrid;

    @Option(names = "--min-valid-samples", defaultValue = "2",
            description = "Skip prompts with fewer responses that ended with eos (default ${DEFAULT-VALUE}).")
    private int minValidSamples;

    @Option(names = "--temperature", defaultValue = "1.0", description = "Sampling temperature (default ${DEFAULT-VALUE}).")
    private double temperature;

    @Option(names = "--top-p", defaultValue = "1.0", description = "Nucleus sampling top_p (default ${DEFAULT-VALUE}).")
    private double topP;

    @Option(names = "--top-k", defaultValue = "0", description = "top_k, 0 disables (default ${DEFAULT-VALUE}).")
    private int topK;

    @Option(names = "--max-new-tokens", defaultValue = "256",
            description = "Longest response; one without eos by then is dropped (default ${DEFAULT-VALUE}).")
    private int maxNewTokens;

    @Option(names = "--score-batch-size", defaultValue = "8",
            description = "Sequences per forward pass when scoring (default ${DEFAULT-VALUE}).")
    private int scoreBatchSize;

    @Override
    public Integer call() throws IOException {
        DpoConfig dpo = config != null ? DpoConfig.load(config) : DpoConfig.defaults();
        Map<String, Object> flags = ConfigFlags.given(spec, DpoCommand.FLAG_OPTIONS);
        dpo = DpoConfig.fromOptions(flags, "command line", dpo);
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
        GenerationConfig base = GenerationConfig.load(model, policy.config());
        GenerationConfig generation = new GenerationConfig(maxNewTokens, true, temperature, topK, topP,
                base.eosTokenIds(), base.padTokenId(), dpo.training().seed());
        DiceConfig dice = new DiceConfig(rounds, samplesPerPrompt, generation, gamma,
                DiceConfig.LengthUnit.of(lengthUnit), DiceConfig.parseAlphaGrid(alphaGrid), minValidSamples,
                scoreBatchSize, dpo);
        PrintWriter out = spec.commandLine().getOut();
        DiceLoop loop = new DiceLoop(dice, processingClass, HfModelWriter.of(model, tokenizerDir),
                torchDtype.storage(model));
        List<DiceRound> done = loop.run(policy, reference, promptList, offline, output, (round, stage, skipped) -> {
            out.printf(Locale.ROOT, "dice: round %d %s %s%n", round, stage.folder(),
                    skipped ? "skipped (exists)" : "done");
            out.flush();
        });
        for (DiceRound r : done) {
            out.printf(Locale.ROOT, "dice: round %d: %d of %d samples ended; alpha %.4g; mean %s length chosen/rejected "
                            + "%.1f/%.1f -> %.1f/%.1f over %d pairs; trained on %d generated + %d offline pairs; "
                            + "model %s%n", r.round(), r.endedSamples(), r.samples(), r.alpha(), dice.lengthUnit()
                            .label(), r.before().meanChosen(), r.before().meanRejected(), r.after().meanChosen(),
                    r.after().meanRejected(), r.after().pairs(), r.replay().generated(), r.offlineTaken(), r.model());
        }
        out.printf(Locale.ROOT, "dice: wrote %s%n", output.resolve(DiceLoop.SUMMARY_FILE));
        out.flush();
        return 0;
    }
}
