package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.align4j.align.dice.DiceConfig;
import org.align4j.align.dice.DiceLoop;
import org.align4j.model.CausalLM;
import org.align4j.model.EmbeddedModel;
import org.align4j.model.HfModels;
import org.align4j.model.io.Dtype;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code align4j dice} end to end on a small text model: every round's files, resuming, bad input. */
class DiceCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> STAGE_FILES = List.of("samples/samples.jsonl", "scores/scores.jsonl",
            "pairs/pairs.jsonl", "pairs/stats.json", "train_data/train.jsonl", "train_data/mix.json",
            "dpo/model.safetensors", "dpo/config.json", "dpo/metrics.jsonl", "dpo/dpo_config.json");

    @TempDir
    Path dir;

    /**
     * The reference (the small text model) and a policy that is the reference with noise on every weight, whose
     * generation config ends a response at ids 2000-3999 besides the real eos, so that most random responses end
     * within a few tokens.
     */
    private Path[] models() throws IOException {
        Path reference = SmallTextModel.write(dir.resolve("ref"));
        CausalLM policy = HfModels.load(reference);
        SplittableRandom rng = new SplittableRandom(3);
        policy.parameters().values().forEach(v -> {
            float[] w = v.value().data();
            for (int i = 0; i < w.length; i++) {
                w[i] += (float) (0.05 * rng.nextGaussian());
            }
        });
        ObjectNode generation = JSON.createObjectNode();
        generation.set("eos_token_id", JSON.valueToTree(Stream.concat(Stream.of(4256),
                IntStream.range(2000, 4000).boxed()).toList()));
        generation.put("pad_token_id", 4256);
        Path policyDir = dir.resolve("policy");
        HfModels.save(policy, policyDir, Dtype.F32, generation, 0);
        EmbeddedModel.writeTokenizer(policyDir);
        return new Path[] {policyDir, reference};
    }

    private String[] args(Path[] models, Path prompts, Path offline, Path out) {
        return new String[] {"dice", "--model", models[0].toString(), "--ref-model", models[1].toString(),
                "--prompts", prompts.toString(), "--offline-data", offline.toString(), "--output", out.toString(),
                "--samples-per-prompt", "4", "--max-new-tokens", "6", "--alpha-grid", "0:0.5:0.01",
                "--max-steps", "2", "--per-device-train-batch-size", "2", "--learning-rate", "1e-3",
                "--save-strategy", "no", "--logging-steps", "1", "--max-length", "64", "--disable-tqdm"};
    }

    private static Map<String, FileTime> modificationTimes(Path root) throws IOException {
        Map<String, FileTime> times = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                times.put(root.relativize(f).toString(), Files.getLastModifiedTime(f));
            }
        }
        return times;
    }

    @Test
    void twoRoundsWriteEveryRoundsFilesAndARerunResumesAfterRoundOne() throws IOException {
        Path[] models = models();
        Path prompts = Files.write(dir.resolve("prompts.jsonl"), List.of("{\"prompt\": \"The man\"}",
                "{\"prompt\": \"She said\"}", "{\"prompt\": \"It was\"}"));
        Path offline = Files.write(dir.resolve("offline.jsonl"), List.of(
                "{\"prompt\": \"The man\", \"chosen\": \" smiled.\", \"rejected\": \" fell.\"}",
                "{\"prompt\": \"Once\", \"chosen\": \" upon a time\", \"rejected\": \" no\"}",
                "{\"prompt\": \"Then\", \"chosen\": \" she laughed.\", \"rejected\": \" he cried.\"}",
                "{\"chosen\": \"The day was bright.\", \"rejected\": \"The day was grim.\"}"));
        Path out = dir.resolve("run");
        CliRun first = CliRun.of(args(models, prompts, offline, out));
        assertEquals(0, first.exitCode(), first.err());
        assertTrue(first.out().contains("dice: round 2 dpo done"), first.out());
        JsonNode saved = JSON.readTree(out.resolve(DiceConfig.FILE_NAME).toFile());
        assertEquals(4, saved.get("samples_per_prompt").asInt(), "DICE's own options are saved");
        assertEquals(1e-3, saved.get("learning_rate").asDouble(), "and the DPO run's");
        for (int round = 1; round <= 2; round++) {
            Path r = DiceLoop.roundDirectory(out, round);
            for (String file : STAGE_FILES) {
                assertTrue(Files.isRegularFile(r.resolve(file)), "round " + round + ": " + file);
            }
            assertFalse(Files.exists(r.resolve("dpo.run")), "the DPO run folder was renamed");
            assertFalse(Files.readAllLines(r.resolve("pairs/pairs.jsonl")).isEmpty(), "round " + round + " pairs");
            List<String> samples = Files.readAllLines(r.resolve("samples/samples.jsonl"));
            assertEquals(12, samples.size(), "3 prompts x 4 samples");
            JsonNode stats = JSON.readTree(r.resolve("pairs/stats.json").toFile());
            assertEquals(51, stats.get("sweep").size());
            assertTrue(stats.get("alpha").asDouble() >= 0 && stats.get("alpha").asDouble() <= 0.5, stats.toString());
            for (String key : List.of("before", "after")) {
                assertTrue(stats.get(key).has("mean_chosen_length") && stats.get(key).has("mean_rejected_length"));
            }
            for (String line : Files.readAllLines(r.resolve("pairs/pairs.jsonl"))) {
                JsonNode pair = JSON.readTree(line);
                assertTrue(pair.get("prompt").isTextual() && pair.get("chosen").isTextual()
                        && pair.get("rejected").isTextual(), line);
                assertTrue(pair.get("chosen_reward").asDouble() > pair.get("rejected_reward").asDouble(), line);
                assertNotEquals(pair.get("chosen").asText(), pair.get("rejected").asText(), line);
                String chosen = pair.get("chosen").asText();
                assertEquals(chosen.codePointCount(0, chosen.length()), pair.get("chosen_length").asInt(), line);
                assertEquals(pair.get("chosen_score").asDouble() - stats.get("alpha").asDouble()
                        * pair.get("chosen_length").asInt(), pair.get("chosen_reward").asDouble(), 1e-9, line);
            }
            JsonNode mix = JSON.readTree(r.resolve("train_data/mix.json").toFile());
            assertEquals(Math.min(2, mix.get("generated_available").asInt()), mix.get("n_gen").asInt(), mix.toString());
            List<String> train = Files.readAllLines(r.resolve("train_data/train.jsonl"));
            assertEquals(mix.get("n_gen").asInt() + mix.get("offline_taken").asInt(), train.size());
            assertEquals(train.size(), train.stream().map(l -> {
                try {
                    return JSON.readTree(l).get("prompt").toString();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }).distinct().count(), "no prompt twice: " + train);
        }
        JsonNode scoreRound1 = JSON.readTree(Files.readAllLines(out.resolve("round_1/scores/scores.jsonl")).stream()
                .filter(l -> l.contains("\"score\"")).findFirst().orElseThrow());
        assertNotEquals(0.0, scoreRound1.get("score").asDouble(), "policy and reference differ");
        JsonNode summary = JSON.readTree(out.resolve(DiceLoop.SUMMARY_FILE).toFile());
        assertEquals(2, summary.get("rounds").size());
        assertEquals("round_2/dpo", summary.get("rounds").get(1).get("model").asText());

        Path round1 = out.resolve("round_1");
        Map<String, FileTime> before = modificationTimes(round1);
        byte[] round2Pairs = Files.readAllBytes(out.resolve("round_2/pairs/pairs.jsonl"));
        try (Stream<Path> walk = Files.walk(out.resolve("round_2"))) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        CliRun again = CliRun.of(args(models, prompts, offline, out));
        assertEquals(0, again.exitCode(), again.err());
        for (String stage : List.of("samples", "scores", "pairs", "train_data", "dpo")) {
            assertTrue(again.out().contains("dice: round 1 " + stage + " skipped (exists)"), again.out());
            assertTrue(again.out().contains("dice: round 2 " + stage + " done"), again.out());
        }
        assertEquals(before, modificationTimes(round1), "round 1 is untouched");
        assertEquals(new String(round2Pairs), Files.readString(out.resolve("round_2/pairs/pairs.jsonl")),
                "round 2 starts from round 1's model as the first run did");
        assertEquals(2, JSON.readTree(out.resolve(DiceLoop.SUMMARY_FILE).toFile()).get("rounds").size());
    }

    @Test
    void aMalformedPromptFileExitsWithTwoNamingFileAndLine() throws IOException {
        Path model = SmallTextModel.write(dir.resolve("model"));
        Path prompts = Files.write(dir.resolve("prompts.jsonl"), List.of("{\"prompt\": \"fine\"}",
                "{\"prompt\": \"broken\""));
        Path preference = Files.write(dir.resolve("pairs.jsonl"), List.of("{\"prompt\": \"a\", \"chosen\": \"b\", "
                + "\"rejected\": \"c\"}"));
        CliRun run = CliRun.of("dice", "--model", model.toString(), "--ref-model", model.toString(), "--prompts",
                prompts.toString(), "--offline-data", preference.toString(), "--output", dir.resolve("out").toString());
        assertEquals(Main.EXIT_BAD_INPUT, run.exitCode(), run.err());
        assertTrue(run.err().contains("prompts.jsonl:2: malformed JSON"), run.err());
        CliRun wrongFormat = CliRun.of("dice", "--model", model.toString(), "--ref-model", model.toString(),
                "--prompts", preference.toString(), "--offline-data", preference.toString(), "--output",
                dir.resolve("out").toString());
        assertEquals(Main.EXIT_BAD_INPUT, wrongFormat.exitCode(), wrongFormat.err());
        assertTrue(wrongFormat.err().contains("pairs.jsonl:1: DICE prompts are prompt-only examples"),
                wrongFormat.err());
    }

    @Test
    void sparkMasterWithoutAlign4jSparkIsOneLineSayingWhatToRun() throws IOException {
        Path model = SmallTextModel.write(dir.resolve("model"));
        Path prompts = Files.write(dir.resolve("prompts.jsonl"), List.of("{\"prompt\": \"fine\"}"));
        Path preference = Files.write(dir.resolve("pairs.jsonl"), List.of("{\"prompt\": \"a\", \"chosen\": \"b\", "
                + "\"rejected\": \"c\"}"));
        CliRun run = CliRun.of("dice", "--model", model.toString(), "--ref-model", model.toString(), "--prompts",
                prompts.toString(), "--offline-data", preference.toString(), "--output", dir.resolve("out").toString(),
                "--spark-master", "local[2]");
        assertEquals(Main.EXIT_BAD_INPUT, run.exitCode(), run.err());
        assertTrue(run.err().contains("--spark-master: Spark is not on the class path; run 'align4j-spark dice'"),
                run.err());
        assertFalse(Files.exists(dir.resolve("out/round_1")), "nothing ran");
    }
}
