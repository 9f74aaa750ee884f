package org.align4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.align4j.cli.Main;
import org.junit.jupiter.api.Test;

class SparkDiceTest extends LocalSparkTest {

    private static String[] args(Path policy, Path reference, Path prompts, Path offline, Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("dice", "--model", policy.toString(), "--ref-model",
                reference.toString(), "--prompts", prompts.toString(), "--offline-data", offline.toString(),
                "--output", out.toString(), "--rounds", "2", "--samples-per-prompt", "4", "--max-new-tokens", "6",
                "--score-batch-size", "3", "--alpha-grid", "0:0.5:0.01", "--max-steps", "2",
                "--per-device-train-batch-size", "2", "--learning-rate", "1e-2", "--save-strategy", "no",
                "--max-length", "64", "--disable-tqdm"));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    @Test
    void diceOnSparkWritesTheLocalRunsFilesRoundAfterRound() throws IOException {
        Path policy = TinyModels.write(dir.resolve("policy"), 1);
        // responses end at any id from 2000 to 3999 as well as the eos, so most end within a few tokens
        Files.writeString(policy.resolve("generation_config.json"), "{\"eos_token_id\": [4256, "
                + IntStream.range(2000, 4000).mapToObj(Integer::toString).collect(Collectors.joining(", "))
                + "], \"pad_token_id\": 4256}");
        Path reference = TinyModels.write(dir.resolve("reference"), 2);
        Path prompts = Files.write(dir.resolve("prompts.jsonl"), IntStream.range(0, 5)
                .mapToObj(i -> "{\"prompt\": \"Tale " + i + "\"}").toList());
        Path offline = Files.write(dir.resolve("offline.jsonl"), IntStream.range(0, 4)
                .mapToObj(i -> "{\"prompt\": \"Tale " + i + "\", \"chosen\": \" a dog\", \"rejected\": \" rain\"}")
                .toList());
        Path local = dir.resolve("local");
        assertEquals(0, Main.run(args(policy, reference, prompts, offline, local)));
        Path onSpark = dir.resolve("spark");
        assertEquals(0, SparkMain.run(args(policy, reference, prompts, offline, onSpark, "--spark-master",
                "local[2]")));
        for (int round = 1; round <= 2; round++) {
            for (String file : List.of("samples/samples.jsonl", "scores/scores.jsonl", "pairs/pairs.jsonl",
                    "train_data/train.jsonl")) {
                Path expected = local.resolve("round_" + round).resolve(file);
                assertEquals(Files.readAllLines(expected), Files.readAllLines(onSpark.resolve("round_" + round)
                        .resolve(file)), "round " + round + " " + file);
            }
        }
        assertTrue(Files.readString(local.resolve("round_2/scores/scores.jsonl")).contains("\"score\""),
                "round 2 scored samples with round 1's DPO model");
    }
}
