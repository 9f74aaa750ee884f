package org.align4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.align4j.InputException;
import org.align4j.OutputFile;
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
import org.align4j.tokenizer.Tokenizer;
import picocli.CommandLine.Mixin;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code align4j panels ...}: condition panels (RecurrentGPT-style context) built from raw text. */
@Command(name = "panels", mixinStandardHelpOptions = true,
        description = "Condition panels (latest paragraph, characters, places, plan, memories) built from raw text.",
        subcommands = {PanelsCommand.Build.class})
public final class PanelsCommand implements Runnable {

    @Spec
    private CommandSpec spec;

    /** Without a subcommand there is nothing to run: reports the usage error. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand: choose one (build)");
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
}
