package org.align4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.align4j.InputException;
import org.align4j.tokenizer.Tokenizer;
import java.util.concurrent.Callable;
import org.align4j.model.CausalLM;
import org.align4j.model.Generation;
import org.align4j.model.GenerationConfig;
import org.align4j.model.Generator;
import org.align4j.model.HfModels;
import org.align4j.model.ModelConfig;
import org.align4j.quant.PackedCheckpoint;
import org.align4j.train.MemoryEstimate;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code align4j generate}: continues prompts with a checkpoint, using its generation_config.json with the options
 * given on the command line taking precedence.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Continue prompts with a Hugging Face checkpoint: text prompts (--prompt, chat template applied"
                + " for chat models) print the prompt and its continuation; token-id prompts (--prompt-ids) print each"
                + " row's new ids (up to and including eos) as a JSON array, one line per row.")
final class GenerateCommand implements Callable<Integer>, MemorySized {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model", required = true, description = "model directory (config.json + safetensors)")
    Path model;
    @ArgGroup(multiplicity = "1")
    PromptSource prompt;
    @Option(names = "--tokenizer", description = "tokenizer directory for --prompt (default: the model directory)")
    Path tokenizerDir;
    @Option(names = "--chat-template", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "render --prompt as a user message with the tokenizer's chat template when it has one"
                    + " (default: ${DEFAULT-VALUE})")
    boolean chatTemplate;

    /** Either text prompts (tokenized here) or token-id rows. */
    static final class PromptSource {
        @Option(names = "--prompt", description = "a text prompt (repeat for a batch)")
        List<String> texts;
        @Option(names = "--prompt-ids", description = "JSON rows of token ids, lengths may differ, e.g. '[[1,2,3],[4,5]]'")
        String ids;
    }
    @Option(names = "--max-new-tokens", description = "tokens to generate at most (default: generation config, else 20)")
    Integer maxNewTokens;
    @Option(names = "--do-sample", negatable = true,
            description = "sample instead of picking the most likely token (default: generation config, else greedy)")
    Boolean doSample;
    @Option(names = "--temperature", description = "divide the logits by T before sampling")
    Double temperature;
    @Option(names = "--top-k", description = "sample among the K most likely tokens (0: all)")
    Integer topK;
    @Option(names = "--top-p", description = "sample among the most likely tokens whose probability reaches P")
    Double topP;
    @Option(names = "--seed", defaultValue = "0", description = "sampling seed (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--repetition-penalty", description = "divide the logits of tokens already in the row by P (>1"
            + " discourages repeats; default: generation config, else 1)")
    Double repetitionPenalty;
    @Option(names = "--num-return-sequences", description = "continuations per prompt, sampled (default: generation"
            + " config, else 1)")
    Integer numReturnSequences;

    private String memoryNeeded;

    @Mixin
    private TorchDtypeOption torchDtype;

    @Override
    public Integer call() throws JsonProcessingException {
        Tokenizer tokenizer = prompt.texts != null ? Tokenizer.load(tokenizerDir != null ? tokenizerDir : model) : null;
        int[][] prompts = tokenizer != null ? encode(tokenizer) : promptIds();
        ModelConfig modelConfig = HfModels.readConfig(model);
        GenerationConfig generationConfig = config(GenerationConfig.load(model, modelConfig));
        int longest = Arrays.stream(prompts).mapToInt(p -> p.length).max().orElse(0);
        int frozenBytes = PackedCheckpoint.isPacked(modelConfig) || !torchDtype.bfloat16(model) ? 4 : 2;
        memoryNeeded = MemoryEstimate.generation(modelConfig, frozenBytes,
                prompts.length * generationConfig.numReturnSequences(),
                longest + generationConfig.maxNewTokens()).describe() + " for " + prompts.length + " prompts of up to " + longest + " tokens";
        CausalLM lm = PackedCheckpoint.isPacked(modelConfig) ? PackedCheckpoint.load(model)
                : torchDtype.loadFrozen(model);
        Generation generation = new Generator(lm).generate(prompts, generationConfig);
        int copies = generationConfig.numReturnSequences();
        for (int row = 0; row < prompts.length * copies; row++) {
            int[] completion = generation.completion(row);
            System.out.println(tokenizer != null ? prompt.texts.get(row / copies) + tokenizer.decode(completion, true)
                    : JSON.writeValueAsString(completion));
        }
        return 0;
    }

    @Override
    public String memoryNeeded() {
        return memoryNeeded;
    }

    @Override
    public String memoryOptions() {
        return "fewer prompts or a smaller --max-new-tokens";
    }

    /** The text prompts as token ids: as a user turn of the chat template when there is one, else plain text. */
    private int[][] encode(Tokenizer tokenizer) {
        int[][] rows = new int[prompt.texts.size()][];
        for (int i = 0; i < rows.length; i++) {
            String text = prompt.texts.get(i);
            if (chatTemplate && tokenizer.chatTemplate().isPresent()) {
                String rendered = tokenizer.chatTemplate().get().render(
                        List.of(Map.of("role", "user", "content", text)), true, Map.of());
                rows[i] = tokenizer.encode(rendered, false);
            } else {
                rows[i] = tokenizer.encode(text, true);
            }
            if (rows[i].length == 0) {
                throw new InputException("--prompt " + i + " is empty after tokenization");
            }
        }
        return rows;
    }

    /** The token-id prompts. */
    private int[][] promptIds() {
        try {
            int[][] rows = JSON.readValue(prompt.ids, int[][].class);
            if (rows == null) {
                throw new InputException("--prompt-ids: expected JSON rows of token ids, got null");
            }
            return rows;
        } catch (JsonProcessingException e) {
            throw new InputException("--prompt-ids: expected JSON rows of token ids like [[1,2],[3]]: "
                    + e.getOriginalMessage());
        }
    }

    /** The model's generation config with the command-line options applied. */
    private GenerationConfig config(GenerationConfig model) {
        return new GenerationConfig(
                maxNewTokens != null ? maxNewTokens : model.maxNewTokens(),
                doSample != null ? doSample : model.doSample(),
                temperature != null ? temperature : model.temperature(),
                topK != null ? topK : model.topK(),
                topP != null ? topP : model.topP(),
                model.eosTokenIds(), model.padTokenId(), seed,
                repetitionPenalty != null ? repetitionPenalty : model.repetitionPenalty(),
                numReturnSequences != null ? numReturnSequences : model.numReturnSequences());
    }
}
