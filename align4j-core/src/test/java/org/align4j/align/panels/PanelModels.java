package org.align4j.align.panels;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.align4j.align.sft.SftTask;
import org.align4j.data.Example;
import org.align4j.data.SftTokenization;
import org.align4j.data.Text;
import org.align4j.data.TokenizedSequence;
import org.align4j.data.panels.ExtractivePanelBuilder;
import org.align4j.data.panels.PanelSizes;
import org.align4j.data.panels.PanelTask;
import org.align4j.data.panels.ParagraphPanel;
import org.align4j.data.panels.Story;
import org.align4j.model.CausalLM;
import org.align4j.model.EmbeddedModel;
import org.align4j.model.ModelConfig;
import org.align4j.model.Models;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.Trainer;
import org.align4j.train.TrainingArguments;

/**
 * Small models over the embedded tokenizer for the panel-feedback tests: a random writer, and a builder briefly
 * trained on panels in the build format (the four summarised sections, the plan the paragraph itself or one of two
 * others) so that most of its samples parse and they differ, some restating the paragraph.
 */
public final class PanelModels {
    /** Three short stories of four paragraphs. */
    public static final List<Story> STORIES = List.of(
            new Story("farm", List.of("Anna walked in from Boston.", "Tom and Anna talked about the farm.",
                    "Tom left for Boston at dawn.", "Anna fed the hens alone.")),
            new Story("town", List.of("Rain fell on the town.", "Mary waited for Joe by the mill.",
                    "Joe came late with bread.", "They ate by the fire.")),
            new Story("sea", List.of("The boat left the harbour.", "Ned watched the grey sea.",
                    "A storm came from the north.", "Ned sailed home to Kate.")));
    /** The plans the builder is trained to write besides the paragraph itself. */
    private static final List<String> OTHER_PLANS = List.of("Someone waits.", "Night falls.");

    private PanelModels() {
    }

    /** Writes the embedded tokenizer into {@code dir} and loads it. */
    public static Tokenizer tokenizer(Path dir) throws IOException {
        return Tokenizer.load(EmbeddedModel.writeTokenizer(dir));
    }

    /** A one-layer, width-32 random model with the embedded tokenizer's vocabulary and 512 positions. */
    public static CausalLM random(long seed) {
        ObjectNode config = EmbeddedModel.config().json().deepCopy();
        config.put("hidden_size", 32).put("intermediate_size", 64).put("num_hidden_layers", 1)
                .put("num_attention_heads", 2).put("num_key_value_heads", 1).put("head_dim", 16);
        return Models.randomInit(ModelConfig.fromJson(config, "panel test model"), seed);
    }

    /** The extractive panels of paragraphs 1, 2, ... of each story. */
    public static List<ParagraphPanel> panels(List<Story> stories) {
        ExtractivePanelBuilder extractive = new ExtractivePanelBuilder(PanelSizes.defaults());
        List<ParagraphPanel> panels = new ArrayList<>();
        stories.forEach(s -> panels.addAll(extractive.build(s)));
        return panels;
    }

    /** The completion a builder is trained to write for {@code paragraph} with plan variant {@code variant}. */
    static String notes(ParagraphPanel paragraph, int variant) {
        String plan = variant == 0 ? paragraph.paragraph() : OTHER_PLANS.get(variant - 1);
        return "## Characters\n## Places\n## Short-term memory\nthe story so far\n## Plan\n" + plan + "\n";
    }

    /**
     * A random model trained ({@code steps} of SFT at {@code learningRate}, run folder {@code runDir}) to complete the
     * building prompt of each of {@code paragraphs} with each plan variant (160 steps at 2e-2: about three in four of
     * its samples at temperature 0.7 end and parse).
     */
    public static CausalLM builder(Tokenizer tokenizer, List<ParagraphPanel> paragraphs, int contextParagraphs,
                                   int steps, double learningRate, Path runDir) throws IOException {
        CausalLM model = random(11);
        SftTokenization tokenization = new SftTokenization(tokenizer, true);
        List<TokenizedSequence> data = new ArrayList<>();
        for (ParagraphPanel p : paragraphs) {
            String prompt = PanelTask.BUILD.example(p, contextParagraphs, "").prompt();
            for (int v = 0; v <= OTHER_PLANS.size(); v++) {
                data.add(tokenization.tokenize(new Example.PromptCompletion(p.source(), new Text.Plain(prompt),
                        new Text.Plain(notes(p, v)))));
            }
        }
        TrainingArguments args = TrainingArguments.defaults().withOptions(Map.of("output_dir", runDir.toString(),
                "max_steps", steps, "per_device_train_batch_size", 4, "learning_rate", learningRate, "logging_steps", steps,
                "save_strategy", "no", "disable_tqdm", true, "plot_loss", false, "seed", 3));
        new Trainer<>(args, new SftTask(model, tokenizer.paddingId(null), null, null), data, List.of()).train();
        return model;
    }
}
