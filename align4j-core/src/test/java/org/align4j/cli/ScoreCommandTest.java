package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.align4j.model.Fixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code align4j score} on the fixture's pairs: TRL's log-probabilities, rewards and per-pair losses. */
class ScoreCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Path goldenPairs(JsonNode dpo) throws IOException {
        List<String> lines = new ArrayList<>();
        for (JsonNode pair : dpo.get("pairs")) {
            lines.add("{\"prompt_ids\": " + pair.get("prompt") + ", \"chosen_ids\": " + pair.get("chosen")
                    + ", \"rejected_ids\": " + pair.get("rejected") + "}");
        }
        return Files.write(dir.resolve("golden.jsonl"), lines);
    }

    private static List<JsonNode> rows(Path file) throws IOException {
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            rows.add(JSON.readTree(line));
        }
        return rows;
    }

    @Test
    void scoresMatchTrlForEveryPair() throws IOException {
        Fixture f = Fixture.load("qwen2-tiny");
        JsonNode dpo = f.golden().get("dpo");
        Path out = dir.resolve("scores.jsonl");
        CliRun run = CliRun.of("score", "--model", f.dir().toString(), "--ref-model", f.dir().resolve("ref").toString(),
                "--data", goldenPairs(dpo).toString(), "--beta", "0.1", "--loss-type", "sigmoid,ipo,hinge",
                "--batch-size", "2", "--out", out.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("score: 3 pairs written to " + out + "\n", run.out());
        List<JsonNode> rows = rows(out);
        assertEquals(3, rows.size());
        for (int i = 0; i < 3; i++) {
            JsonNode r = rows.get(i);
            assertEquals("golden.jsonl:" + (i + 1), r.get("source").asText());
            for (String key : List.of("policy_chosen_logps", "policy_rejected_logps", "ref_chosen_logps",
                    "ref_rejected_logps")) {
                assertEquals(dpo.get(key).get(i).asDouble(), r.get(key).asDouble(), 1e-4, key + " " + i);
            }
            assertEquals(0.1 * (r.get("policy_chosen_logps").asDouble() - r.get("ref_chosen_logps").asDouble()),
                    r.get("chosen_reward").asDouble(), 1e-12);
            for (String type : List.of("sigmoid", "ipo", "hinge")) {
                assertEquals(dpo.get("losses").get(type).get("per_pair").get(i).asDouble(),
                        r.get("losses").get(type).asDouble(), 1e-4, type + " " + i);
            }
            assertEquals(dpo.get("pairs").get(i).get("chosen").size(), r.get("chosen_tokens").asInt());
        }
    }

    @Test
    void withoutAReferenceTheScoresAreReferenceFree() throws IOException {
        Fixture f = Fixture.load("gpt2-tiny");
        Path out = dir.resolve("free.jsonl");
        CliRun run = CliRun.of("score", "--model", f.dir().toString(), "--data",
                goldenPairs(f.golden().get("dpo")).toString(), "--beta", "0.5", "--out", out.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("(reference-free)"), run.out());
        JsonNode r = rows(out).get(0);
        assertFalse(r.has("ref_chosen_logps"));
        assertEquals(0.5 * r.get("policy_rejected_logps").asDouble(), r.get("rejected_reward").asDouble(), 1e-12);

        CliRun bad = CliRun.of("score", "--model", f.dir().toString(), "--data", out.toString(), "--out",
                dir.resolve("x.jsonl").toString());
        assertEquals(2, bad.exitCode());
        assertTrue(bad.err().startsWith("align4j score: free.jsonl:1: no known dataset fields"), bad.err());

        // --config takes DPOConfig's scoring options (the beta given there is the one used); others are refused
        Path config = dir.resolve("score.yaml");
        Files.writeString(config, "beta: 0.25\n");
        Path fromFile = dir.resolve("from-file.jsonl");
        CliRun configured = CliRun.of("score", "--model", f.dir().toString(), "--data",
                goldenPairs(f.golden().get("dpo")).toString(), "--config", config.toString(), "--out",
                fromFile.toString());
        assertEquals(0, configured.exitCode(), configured.err());
        JsonNode c = rows(fromFile).get(0);
        assertEquals(0.25 * c.get("policy_rejected_logps").asDouble(), c.get("rejected_reward").asDouble(), 1e-12);
        Files.writeString(config, "learning_rate: 0.1\n");
        CliRun refused = CliRun.of("score", "--model", f.dir().toString(), "--data",
                goldenPairs(f.golden().get("dpo")).toString(), "--config", config.toString(), "--out",
                fromFile.toString());
        assertEquals(2, refused.exitCode());
        assertTrue(refused.err().contains("option 'learning_rate' does not apply to scoring"), refused.err());
    }

    /** A full disk while the scores are written (/dev/full fails every write as ENOSPC): one line naming the file. */
    @Test
    void fullDiskNamesTheOutputFile() throws IOException {
        assumeTrue(Files.isWritable(Path.of("/dev/full")), "needs /dev/full");
        Fixture f = Fixture.load("gpt2-tiny");
        Path out = dir.resolve("scores.jsonl");
        Files.createSymbolicLink(dir.resolve("scores.jsonl.tmp"), Path.of("/dev/full"));
        CliRun run = CliRun.of("score", "--model", f.dir().toString(), "--data",
                goldenPairs(f.golden().get("dpo")).toString(), "--out", out.toString());
        assertEquals(new CliRun(2, "", "align4j score: " + out + ": cannot write: No space left on device\n"), run);
        assertFalse(Files.exists(out));
    }

    @Test
    void tokenIdsOutsideTheVocabularyNameFileAndLine() throws IOException {
        Fixture f = Fixture.load("gpt2-tiny");
        Path pairs = Files.write(dir.resolve("ids.jsonl"), List.of(
                "{\"prompt_ids\": [1, 2], \"chosen_ids\": [3], \"rejected_ids\": [4]}",
                "{\"prompt_ids\": [1, 2], \"chosen_ids\": [3, 1000], \"rejected_ids\": [4]}"));
        CliRun run = CliRun.of("score", "--model", f.dir().toString(), "--data", pairs.toString(), "--out",
                dir.resolve("s.jsonl").toString());
        assertEquals(new CliRun(2, "", "align4j score: ids.jsonl:2: chosen sequence: token id 1000 is outside"
                + " the model's vocabulary of 1000 ids (do tokenizer, data and model match?)\n"), run);
    }
}
