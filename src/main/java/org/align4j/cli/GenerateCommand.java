package org.align4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.align4j.model.CausalLM;
import org.align4j.model.Generation;
import org.align4j.model.GenerationConfig;
import org.align4j.model.Generator;
import org.align4j.model.HfModels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code align4j generate}: continues prompts with a checkpoint, using its generation_config.json with the options
 * given on the command line taking precedence.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Continue token-id prompts with a Hugging Face checkpoint and print each row's new token ids "
                + "(up to and including eos) as a JSON array, one line per row.")
final class GenerateCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model", required = true, description = "model directory (config.json + safetensors)")
    Path model;
    @Option(names = "--prompt-ids", required = true,
            description = "JSON rows of token ids, lengths may differ, e.g. '[[1,2,3],[4,5]]'")
    String promptIds;
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

    @Override
    public Integer call() throws JsonProcessingException {
        int[][] prompts = prompts();
        CausalLM lm = HfModels.load(model);
        Generation generation = new Generator(lm).generate(prompts, config(GenerationConfig.load(model, lm.config())));
        for (int row = 0; row < prompts.length; row++) {
            System.out.println(JSON.writeValueAsString(generation.completion(row)));
        }
        return 0;
    }

    /** The prompts to continue, as token ids. */
    private int[][] prompts() {
        try {
            int[][] rows = JSON.readValue(promptIds, int[][].class);
            if (rows == null) {
                throw new IllegalArgumentException("--prompt-ids: expected JSON rows of token ids, got null");
            }
            return rows;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("--prompt-ids: expected JSON rows of token ids like [[1,2],[3]]: "
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
                model.eosTokenIds(), model.padTokenId(), seed);
    }
}
