package org.align4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.align4j.InputException;
import org.align4j.OutputFile;
import org.align4j.data.panels.ConditionPanel;
import org.align4j.data.panels.ExtractivePanelBuilder;
import org.align4j.data.panels.ModelTextCompleter;
import org.align4j.data.panels.PanelSizes;
import org.align4j.data.panels.RecurrentWriter;
import org.align4j.model.CausalLM;
import org.align4j.model.GenerationConfig;
import org.align4j.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code align4j write}: RecurrentGPT's loop with a model trained on panel-to-paragraph data ({@link RecurrentWriter}):
 * write a paragraph from the panel, update the panel, continue.
 */
@Command(name = "write", mixinStandardHelpOptions = true, description = {
        "Writes a story paragraph by paragraph from a condition panel (JSON file, as 'panels build --format panels'",
        "writes in its 'panel' field): the model writes the next paragraph from the panel, the panel is updated",
        "(latest paragraph, short- and long-term memory, new names; the plan is kept), and so on. Prints the story;",
        "--output also writes one JSON line per step {\"step\", \"panel\", \"paragraph\"}."})
final class WriteCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model", required = true, description = "model directory (trained on panel -> paragraph)")
    Path model;
    @Option(names = "--panel", required = true, description = "the starting panel (JSON object)")
    Path panel;
    @Option(names = "--steps", defaultValue = "3", description = "paragraphs to write (default ${DEFAULT-VALUE})")
    int steps;
    @Option(names = "--tokenizer", description = "tokenizer directory (default: the model directory)")
    Path tokenizerDir;
    @Option(names = "--output", description = "JSONL of the steps")
    Path output;
    @Option(names = "--max-new-tokens", defaultValue = "160",
            description = "tokens per paragraph at most (default ${DEFAULT-VALUE})")
    int maxNewTokens;
    @Option(names = "--do-sample", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "sample (default ${DEFAULT-VALUE}); --no-do-sample picks the most likely token")
    boolean doSample;
    @Option(names = "--temperature", defaultValue = "0.8", description = "sampling temperature (default ${DEFAULT-VALUE})")
    double temperature;
    @Option(names = "--top-k", defaultValue = "50", description = "top-k sampling, 0: off (default ${DEFAULT-VALUE})")
    int topK;
    @Option(names = "--top-p", defaultValue = "0.95", description = "nucleus sampling (default ${DEFAULT-VALUE})")
    double topP;
    @Option(names = "--seed", defaultValue = "0", description = "sampling seed (default ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--attempts", defaultValue = "3",
            description = "tries per paragraph when the model writes nothing (default ${DEFAULT-VALUE})")
    int attempts;

    @Mixin
    private TorchDtypeOption torchDtype;

    @Override
    public Integer call() throws IOException {
        if (steps < 1) {
            throw new InputException("--steps must be >= 1, got " + steps);
        }
        ConditionPanel start = ConditionPanel.read(panel);
        Tokenizer tokenizer = Tokenizer.load(tokenizerDir != null ? tokenizerDir : model);
        CausalLM lm = torchDtype.loadFrozen(model);
        GenerationConfig config = GenerationConfig.load(model, lm.config()).withMaxNewTokens(maxNewTokens)
                .withSeed(seed);
        if (doSample) {
            config = config.withSampling(temperature, topK, topP);
        }
        RecurrentWriter writer = new RecurrentWriter(new ModelTextCompleter(lm, tokenizer, config, false),
                new ExtractivePanelBuilder(PanelSizes.defaults()), attempts);
        start.latestParagraphs().forEach(p -> System.out.println(p + "\n"));
        BufferedWriter steps = output == null ? null : Files.newBufferedWriter(output, StandardCharsets.UTF_8);
        try {
            writer.write(start, this.steps, step -> {
                System.out.println(step.paragraph() + "\n");
                if (steps != null) {
                    try {
                        ObjectNode row = JSON.createObjectNode().put("step", step.step());
                        row.set("panel", JSON.readTree(step.panel().toJson()));
                        row.put("paragraph", step.paragraph());
                        steps.write(JSON.writeValueAsString(row) + "\n");
                    } catch (IOException e) {
                        throw new UncheckedIOException(OutputFile.naming(output, e));
                    }
                }
            });
        } finally {
            if (steps != null) {
                steps.close();
            }
        }
        return 0;
    }
}
