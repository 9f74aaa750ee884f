package org.align4j.align.grpo;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.align4j.InputException;
import org.align4j.align.CompletionRows;
import org.align4j.align.reward.BestOfN;
import org.align4j.data.Afinn;
import org.align4j.model.HfModels;
import org.align4j.model.RewardModel;

/**
 * The built-in {@link RewardFunction}s, and the specification strings that name them on the command line
 * ({@code --reward-funcs afinn,format:^<answer>.*</answer>$}):
 * <ul>
 *   <li>{@code afinn}: the AFINN-165 sentiment of the completion mapped to (0, 1) ({@link Afinn#reward});</li>
 *   <li>{@code length}: the completion's length in tokens;</li>
 *   <li>{@code format:REGEX}: 1 when the whole completion matches the regular expression (DOTALL), else 0 (TRL's
 *       format rewards);</li>
 *   <li>{@code exact_match:COLUMN}: 1 when the completion, trimmed, equals the dataset column's text, trimmed,
 *       else 0; abstains on lines without the column (TRL's accuracy rewards);</li>
 *   <li>a folder: a reward model in the Hugging Face sequence-classification layout (as {@code align4j rm} writes
 *       it) scoring prompt + completion, named after the folder.</li>
 * </ul>
 */
public final class RewardFunctions {
    private RewardFunctions() {
    }

    /** AFINN sentiment of the completion, in (0, 1). */
    public static RewardFunction afinn() {
        Afinn lexicon = Afinn.bundled();
        return RewardFunction.of("afinn", (prompt, completion, columns) -> OptionalDouble.of(lexicon.reward(completion)));
    }

    /** The completion's length in tokens. */
    public static RewardFunction length() {
        return RewardFunction.ofBatch("length", completions -> completions.stream()
                .mapToDouble(c -> c.completionIds().length).toArray());
    }

    /** 1 when the whole completion matches {@code regex} (with DOTALL), else 0. */
    public static RewardFunction format(String regex) {
        Pattern pattern;
        try {
            pattern = Pattern.compile(regex, Pattern.DOTALL);
        } catch (PatternSyntaxException e) {
            throw new InputException("reward function format: invalid regular expression '" + regex + "': "
                    + e.getDescription());
        }
        return RewardFunction.of("format", (prompt, completion, columns) ->
                OptionalDouble.of(pattern.matcher(completion).matches() ? 1 : 0));
    }

    /** 1 when the trimmed completion equals the trimmed text of {@code column}, else 0; abstains without it. */
    public static RewardFunction exactMatch(String column) {
        return RewardFunction.of("exact_match", (prompt, completion, columns) -> {
            JsonNode value = columns.get(column);
            if (value == null || value.isNull()) {
                return OptionalDouble.empty();
            }
            String expected = value.isTextual() ? value.asText() : value.toString();
            return OptionalDouble.of(completion.trim().equals(expected.trim()) ? 1 : 0);
        });
    }

    /** {@code model}'s score of prompt + completion, in batches of {@code batchSize}, named {@code name}. */
    public static RewardFunction rewardModel(String name, RewardModel model, int batchSize) {
        BestOfN.Scorer scorer = BestOfN.rewardModel(model, batchSize);
        return RewardFunction.ofBatch(name, completions -> scorer.score(completions.stream()
                .map(c -> CompletionRows.concat(c.promptIds(), c.completionIds())).toList()));
    }

    /**
     * The reward functions named by {@code specs} (see the class comment); reward models read the policy's token ids
     * (their vocabulary must be the policy's {@code vocabSize}), padded with {@code padId}, in batches of
     * {@code batchSize}.
     *
     * @throws InputException for an unknown name, a bad argument, or a folder that is not a reward model
     */
    public static List<RewardFunction> parse(List<String> specs, int vocabSize, int padId, int batchSize) {
        if (specs.isEmpty()) {
            throw new InputException("--reward-funcs: at least one reward function is needed");
        }
        List<RewardFunction> functions = new ArrayList<>(specs.size());
        for (String spec : specs) {
            functions.add(parse(spec.trim(), vocabSize, padId, batchSize));
        }
        return functions;
    }

    private static RewardFunction parse(String spec, int vocabSize, int padId, int batchSize) {
        int colon = spec.indexOf(':');
        String name = colon < 0 ? spec : spec.substring(0, colon);
        String argument = colon < 0 ? null : spec.substring(colon + 1);
        switch (name) {
            case "afinn", "length" -> {
                if (argument != null) {
                    throw new InputException("reward function " + name + " takes no argument: '" + spec + "'");
                }
                return name.equals("afinn") ? afinn() : length();
            }
            case "format", "exact_match" -> {
                if (argument == null || argument.isEmpty()) {
                    throw new InputException("reward function " + name + " needs an argument: " + name + ":"
                            + (name.equals("format") ? "REGEX" : "COLUMN"));
                }
                return name.equals("format") ? format(argument) : exactMatch(argument);
            }
            default -> {
                Path folder = Path.of(spec);
                if (!Files.isDirectory(folder)) {
                    throw new InputException("unknown reward function '" + spec + "': expected afinn, length, "
                            + "format:REGEX, exact_match:COLUMN or a reward model folder");
                }
                if (!RewardModel.isSequenceClassification(HfModels.readConfig(folder))) {
                    throw new InputException(folder.resolve("config.json") + ": not a reward model (a "
                            + "*ForSequenceClassification checkpoint, as `align4j rm` writes)");
                }
                RewardModel model = RewardModel.load(folder, 0).withPadTokenId(padId);
                if (model.config().vocabSize() != vocabSize) {
                    throw new InputException(folder + ": the reward model's vocabulary (" + model.config().vocabSize()
                            + ") differs from the policy's (" + vocabSize + "); it must read the policy's tokens");
                }
                Path fileName = folder.toAbsolutePath().normalize().getFileName();
                return rewardModel(fileName == null ? spec : fileName.toString(), model, batchSize);
            }
        }
    }
}
