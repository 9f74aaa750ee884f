package org.align4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.align4j.InputException;
import org.align4j.OutputFile;
import org.align4j.align.dpo.DpoConfig;
import org.align4j.align.dpo.DpoLossConfig;
import org.align4j.align.dpo.ModelReference;
import org.align4j.align.dpo.PreferenceScorer;
import org.align4j.data.Example;
import org.align4j.data.JsonlDataset;
import org.align4j.data.PreferenceTokenization;
import org.align4j.data.TruncationMode;
import org.align4j.model.CausalLM;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.TrainingArguments;
import org.align4j.train.OptionRecords;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code align4j score}: DPO's view of preference pairs without training ({@link PreferenceScorer}): per pair the
 * policy and reference log-probabilities of both completions, the implicit rewards β(log π − log π_ref) and the
 * per-pair loss of each requested type, one JSON object per input line.
 */
@Command(name = "score", mixinStandardHelpOptions = true, sortOptions = false,
        modelTransformer = ScoreCommand.Flags.class,
        description = {"Score preference pairs with a policy and a reference: log-probs, implicit rewards, DPO losses.",
                "Writes one JSON object per pair: source, policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, "
                        + "ref_rejected_logps, chosen_reward, rejected_reward, chosen_tokens, rejected_tokens, "
                        + "losses {type: value}."})
public final class ScoreCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    private CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "The policy (HF folder).")
    private Path model;

    @Option(names = "--ref-model", paramLabel = "DIR",
            description = "The reference; without it the scores are reference-free (log pi_ref = 0).")
    private Path refModel;

    @Option(names = "--tokenizer", paramLabel = "DIR",
            description = "Tokenizer folder (default: --model; not needed for pre-tokenized data).")
    private Path tokenizer;

    @Option(names = "--data", required = true, paramLabel = "FILE", description = "Preference JSONL.")
    private Path data;

    @Option(names = "--config", paramLabel = "FILE",
            description = "YAML or JSON file of the DPOConfig options below (snake_case names); flags override it.")
    private Path config;

    @Option(names = "--batch-size", defaultValue = "8", description = "Pairs per forward pass (default ${DEFAULT-VALUE}).")
    private int batchSize;

    @Option(names = "--out", required = true, paramLabel = "FILE.jsonl", description = "Output JSONL.")
    private Path out;

    @Mixin
    private TorchDtypeOption torchDtype;

    /** The DPOConfig options that say how pairs are scored, read as dpo reads them. */
    static final Set<String> SCORE_OPTIONS = Set.of("beta", "loss_type", "label_smoothing", "ld_alpha",
            "max_length", "truncation_mode");

    /** Declares {@link #SCORE_OPTIONS} as flags, with their defaults. */
    public static final class Flags implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec commandSpec) {
            Map<String, Object> defaults = new LinkedHashMap<>(defaults().toOptions());
            defaults.keySet().retainAll(SCORE_OPTIONS);
            ConfigFlags.add(commandSpec, defaults, ConfigFlags.booleanOptions(DpoLossConfig.class));
            return commandSpec;
        }
    }

    /** DPOConfig's defaults, but no truncation: scoring reads whole pairs unless max_length is given. */
    private static DpoConfig defaults() {
        Map<String, Object> noTruncation = new HashMap<>();
        noTruncation.put("max_length", null);
        return DpoConfig.defaults().withOptions(noTruncation);
    }

    @Override
    public Integer call() throws IOException {
        DpoConfig resolved = scoreConfig(config, ConfigFlags.given(spec, SCORE_OPTIONS));
        DpoLossConfig lossConfig = resolved.loss();
        Integer maxLength = resolved.options().maxLength();
        TruncationMode truncation = resolved.options().truncationMode();
        List<Example> examples = JsonlDataset.read(data);
        Path tokenizerDir = tokenizer != null ? tokenizer : model;
        Tokenizer processingClass = tokenizer != null || Files.isRegularFile(model.resolve(Tokenizer.TOKENIZER_FILE))
                ? Tokenizer.load(tokenizerDir) : null;
        PreferenceTokenization tokenization = new PreferenceTokenization(processingClass, maxLength, truncation);
        CausalLM policy = torchDtype.loadFrozen(model);
        ModelReference reference = refModel == null ? null : new ModelReference(torchDtype.loadFrozen(refModel));
        int padId = processingClass != null ? processingClass.paddingId(null) : 0;
        List<PreferenceScorer.PairScore> scores = new PreferenceScorer(policy, reference, lossConfig, padId)
                .scoreExamples(examples, tokenization, batchSize);
        write(scores, reference != null);
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.printf(Locale.ROOT, "score: %d pairs%s written to %s%n", scores.size(),
                reference == null ? " (reference-free)" : "", out);
        stdout.flush();
        return 0;
    }

    private void write(List<PreferenceScorer.PairScore> scores, boolean withReference) throws IOException {
        OutputFile.write(out, file -> {
            try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                for (PreferenceScorer.PairScore s : scores) {
                    w.write(JSON.writeValueAsString(s.toJson(withReference)) + "\n");
                }
            }
        });
    }

    /**
     * How pairs are scored: DPOConfig's defaults without truncation, then the scoring options of {@code config} (a
     * YAML or JSON file, or null), then {@code flags} (options given on the command line, by snake_case name).
     */
    public static DpoConfig scoreConfig(Path config, Map<String, Object> flags) {
        DpoConfig resolved = config == null ? defaults()
                : DpoConfig.fromOptions(onlyScoreOptions(config, TrainingArguments.readOptions(config)),
                        config.toString(), defaults());
        return DpoConfig.fromOptions(flags, OptionRecords.COMMAND_LINE, resolved);
    }

    /** The options of a config file that say how pairs are scored; any other name is an error naming the file. */
    private static Map<String, Object> onlyScoreOptions(Path config, Map<String, Object> options) {
        for (String name : options.keySet()) {
            if (!SCORE_OPTIONS.contains(name)) {
                throw new InputException(config + ": option '" + name + "' does not apply to scoring (it takes "
                        + String.join(", ", new TreeSet<>(SCORE_OPTIONS)) + ")");
            }
        }
        return options;
    }
}
