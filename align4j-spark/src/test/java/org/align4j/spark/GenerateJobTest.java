package org.align4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.align4j.align.dice.DicePrompt;
import org.align4j.align.dice.DiceSample;
import org.align4j.align.dpo.DpoRounds;
import org.align4j.data.JsonlDataset;
import org.align4j.model.CausalLM;
import org.align4j.model.GenerationConfig;
import org.align4j.model.HfModels;
import org.align4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GenerateJobTest extends LocalSparkTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static Path policy;
    static Path prompts;

    @BeforeAll
    static void start() throws IOException {
        policy = TinyModels.write(dir.resolve("policy"), 3);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            lines.add("{\"prompt\": \"Once upon a time " + i + "\"}");
        }
        lines.add("{\"prompt\": \"Tell a story\"}");
        prompts = Files.write(dir.resolve("prompts.jsonl"), lines);
    }

    @Test
    void eachPromptsCompletionsAreDicesSamplesWhateverThePartitioning() throws IOException {
        Tokenizer tokenizer = Tokenizer.load(policy);
        CausalLM model = HfModels.load(policy);
        List<DicePrompt> expectedPrompts = DicePrompt.of(JsonlDataset.read(prompts), tokenizer);
        GenerationConfig defaults = GenerationConfig.load(policy, model.config());
        GenerationConfig generation = new GenerationConfig(12, true, 0.9, 0, 1.0, defaults.eosTokenIds(),
                defaults.padTokenId(), 7, defaults.repetitionPenalty(), 1);
        List<int[][]> expected = DpoRounds.sample(model, expectedPrompts.stream().map(DicePrompt::ids).toList(), 3,
                generation);
        for (int partitions : new int[] {1, 4}) {
            Path out = dir.resolve("samples-" + partitions);
            assertEquals(0, SparkMain.run("generate", "--spark-master", "local[2]", "--model", policy.toString(),
                    "--data", prompts.toString(), "--num-generations", "3", "--max-new-tokens", "12",
                    "--temperature", "0.9", "--seed", "7", "--partitions", String.valueOf(partitions),
                    "--out", out.toString()));
            List<String> lines = ScoreJobTest.lines(out);
            assertEquals(6 * 3, lines.size());
            for (int i = 0; i < lines.size(); i++) {
                JsonNode row = JSON.readTree(lines.get(i));
                DiceSample sample = DiceSample.fromJson(row);
                assertEquals(i / 3, sample.prompt());
                assertEquals(i % 3, sample.sample());
                assertTrue(java.util.Arrays.equals(expected.get(i / 3)[i % 3], sample.responseIds()),
                        partitions + " partitions, line " + i);
                assertEquals(tokenizer.decode(sample.contentIds(), true), sample.response());
                assertEquals("prompts.jsonl:" + (i / 3 + 1), row.get("source").asText());
            }
        }
    }
}
