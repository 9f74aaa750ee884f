package org.align4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.align4j.align.dpo.DpoLossConfig;
import org.align4j.align.dpo.ModelReference;
import org.align4j.align.dpo.PreferenceScorer;
import org.align4j.data.Example;
import org.align4j.data.JsonlDataset;
import org.align4j.data.PreferencePair;
import org.align4j.data.PreferenceTokenization;
import org.align4j.data.TruncationMode;
import org.align4j.model.CausalLM;
import org.align4j.tokenizer.Tokenizer;
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

    @Option(names = "--beta", defaultValue = "0.1", description = "beta (default ${DEFAULT-VALUE}).")
    private double beta;

    @Option(names = "--loss-type", defaultValue = "sigmoid", split = ",", paramLabel = "TYPE",
            description = "Loss types to report, comma-separated TRL names (default ${DEFAULT-VALUE}).")
    private List<String> lossType;

    @Option(names = "--label-smoothing", defaultValue = "0.0",
            description = "label_smoothing of robust, exo_pair, aot (default ${DEFAULT-VALUE}).")
    private double labelSmoothing;

    @Option(names = "--ld-alpha", description = "LD-DPO's ld_alpha (default: plain sums).")
    private Double ldAlpha;

    @Option(names = "--max-length", description = "Truncate prompt + completion to this many tokens (default: none).")
    private Integer maxLength;

    @Option(names = "--truncation-mode", defaultValue = "keep_start",
            description = "keep_start or keep_end (default ${DEFAULT-VALUE}).")
    private String truncationMode;

    @Option(names = "--batch-size", defaultValue = "8", description = "Pairs per forward pass (default ${DEFAULT-VALUE}).")
    private int batchSize;

    @Option(names = "--out", required = true, paramLabel = "FILE.jsonl", description = "Output JSONL.")
    private Path out;

    @Mixin
    private TorchDtypeOption torchDtype;

    @Override
    public Integer call() throws IOException {
        DpoLossConfig.Builder loss = DpoLossConfig.builder().beta(beta).labelSmoothing(labelSmoothing)
                .lossType(lossType.toArray(String[]::new));
        if (ldAlpha != null) {
            loss.ldAlpha(ldAlpha);
        }
        DpoLossConfig config = loss.build();
        TruncationMode truncation = TruncationMode.of(truncationMode);
        List<Example> examples = JsonlDataset.read(data);
        Path tokenizerDir = tokenizer != null ? tokenizer : model;
        Tokenizer processingClass = tokenizer != null || Files.isRegularFile(model.resolve(Tokenizer.TOKENIZER_FILE))
                ? Tokenizer.load(tokenizerDir) : null;
        PreferenceTokenization tokenization = new PreferenceTokenization(processingClass, maxLength, truncation);
        List<PreferencePair> pairs = new ArrayList<>(examples.size());
        for (Example e : examples) {
            pairs.add(tokenization.tokenize(e));
        }
        CausalLM policy = torchDtype.loadFrozen(model);
        ModelReference reference = refModel == null ? null : new ModelReference(torchDtype.loadFrozen(refModel));
        int padId = processingClass != null ? processingClass.paddingId(null) : 0;
        List<PreferenceScorer.PairScore> scores = new PreferenceScorer(policy, reference, config, padId)
                .score(pairs, batchSize);
        write(scores, reference != null);
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.printf(Locale.ROOT, "score: %d pairs%s written to %s%n", scores.size(),
                reference == null ? " (reference-free)" : "", out);
        stdout.flush();
        return 0;
    }

    private void write(List<PreferenceScorer.PairScore> scores, boolean withReference) throws IOException {
        Path temporary = out.resolveSibling(out.getFileName() + ".tmp");
        try (Writer w = Files.newBufferedWriter(temporary, StandardCharsets.UTF_8)) {
            for (PreferenceScorer.PairScore s : scores) {
                ObjectNode row = JSON.createObjectNode();
                row.put("source", s.source());
                row.put("policy_chosen_logps", s.policyChosen());
                row.put("policy_rejected_logps", s.policyRejected());
                if (withReference) {
                    row.put("ref_chosen_logps", s.refChosen());
                    row.put("ref_rejected_logps", s.refRejected());
                }
                row.put("chosen_reward", s.chosenReward());
                row.put("rejected_reward", s.rejectedReward());
                row.put("chosen_tokens", s.chosenTokens());
                row.put("rejected_tokens", s.rejectedTokens());
                ObjectNode losses = row.putObject("losses");
                s.losses().forEach(losses::put);
                w.write(JSON.writeValueAsString(row) + "\n");
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
        try {
            Files.move(temporary, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(out + ": " + e.getMessage(), e);
        }
    }
}
