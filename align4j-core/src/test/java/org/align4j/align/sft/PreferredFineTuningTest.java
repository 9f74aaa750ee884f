package org.align4j.align.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.align4j.data.DataException;
import org.align4j.data.Example;
import org.align4j.data.JsonlDataset;
import org.align4j.data.SftTokenization;
import org.align4j.data.Text;
import org.align4j.data.TokenizedSequence;
import org.align4j.model.CausalLM;
import org.align4j.model.EmbeddedModel;
import org.align4j.model.ModelConfig;
import org.align4j.model.Models;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.RunFolder;
import org.align4j.train.Trainer;
import org.align4j.train.TrainingArguments;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Preferred-FT is SFT on the chosen responses: the same sequences and the same training run. */
class PreferredFineTuningTest {
    @TempDir
    Path tmp;

    @Test
    void pairsBecomePromptCompletionOrWholeChosenText() {
        Example.Preference explicit = new Example.Preference("p:1", new Text.Plain("Q"), new Text.Plain(" yes"),
                new Text.Plain(" no"));
        Example.Preference implicit = new Example.Preference("p:2", null, new Text.Plain("Q yes"),
                new Text.Plain("Q no"));
        assertEquals(List.of(new Example.PromptCompletion("p:1", new Text.Plain("Q"), new Text.Plain(" yes")),
                        new Example.LanguageModeling("p:2", new Text.Plain("Q yes"))),
                PreferredFineTuning.examples(List.of(explicit, implicit)));
        DataException e = assertThrows(DataException.class, () -> PreferredFineTuning.examples(List.of(
                new Example.TokenizedPreference("p:3", new int[] {1}, new int[] {2}, new int[] {3}))));
        assertEquals("p:3: Preferred-FT needs preference pairs (prompt?, chosen, rejected) of text or messages,"
                + " got TokenizedPreference", e.getMessage());
    }

    @Test
    void trainingEqualsSftOnTheConvertedData() throws IOException, URISyntaxException {
        Path prefs = tmp.resolve("prefs.jsonl");
        Files.write(prefs, List.of(
                "{\"prompt\": \"The sky is\", \"chosen\": \" blue.\", \"rejected\": \" green.\"}",
                "{\"prompt\": \"Grass is\", \"chosen\": \" green.\", \"rejected\": \" purple.\"}",
                "{\"prompt\": \"Snow is\", \"chosen\": \" white and cold.\", \"rejected\": \" hot.\"}",
                "{\"prompt\": \"Fire is\", \"chosen\": \" hot.\", \"rejected\": \" wet.\"}"));
        Path sft = tmp.resolve("sft.jsonl");
        Files.write(sft, List.of(
                "{\"prompt\": \"The sky is\", \"completion\": \" blue.\"}",
                "{\"prompt\": \"Grass is\", \"completion\": \" green.\"}",
                "{\"prompt\": \"Snow is\", \"completion\": \" white and cold.\"}",
                "{\"prompt\": \"Fire is\", \"completion\": \" hot.\"}"));
        Tokenizer tokenizer = Tokenizer.load(Path.of(getClass().getResource("/embedded/tokenizer").toURI()));
        SftTokenization tokenization = new SftTokenization(tokenizer, true);
        List<TokenizedSequence> preferred = tokenization.tokenizeAll(
                PreferredFineTuning.examples(JsonlDataset.read(prefs)), 64);
        List<TokenizedSequence> plain = tokenization.tokenizeAll(JsonlDataset.read(sft), 64);
        for (int i = 0; i < plain.size(); i++) {
            assertArrayEquals(plain.get(i).ids(), preferred.get(i).ids());
            assertArrayEquals(plain.get(i).lossMask(), preferred.get(i).lossMask());
        }
        assertEquals(lossHistory(preferred, tmp.resolve("preferred")), lossHistory(plain, tmp.resolve("sft")));
    }

    private static List<Double> lossHistory(List<TokenizedSequence> data, Path output) throws IOException {
        ObjectNode config = EmbeddedModel.config().json().deepCopy();
        config.put("hidden_size", 16).put("intermediate_size", 32).put("num_hidden_layers", 1)
                .put("num_attention_heads", 2).put("num_key_value_heads", 1).put("head_dim", 8);
        CausalLM lm = Models.randomInit(ModelConfig.fromJson(config, "test"), 3);
        TrainingArguments args = TrainingArguments.defaults().withOptions(Map.of("output_dir", output.toString(),
                "max_steps", 3, "per_device_train_batch_size", 2, "learning_rate", 1e-2, "logging_steps", 1,
                "save_strategy", "no", "disable_tqdm", true, "plot_loss", false));
        new Trainer<>(args, new SftTask(lm, 4256, null, null), data, List.of()).train();
        ObjectMapper json = new ObjectMapper();
        List<Double> losses = new ArrayList<>();
        for (String line : Files.readAllLines(output.resolve(RunFolder.METRICS_FILE))) {
            JsonNode row = json.readTree(line);
            if (row.has("loss")) {
                losses.add(row.get("loss").asDouble());
            }
        }
        assertEquals(3, losses.size());
        return losses;
    }
}
