package org.align4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.align4j.cli.Main;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ScoreJobTest extends LocalSparkTest {
    static Path policy;
    static Path reference;
    static Path pairs;

    @BeforeAll
    static void start() throws IOException {
        policy = TinyModels.write(dir.resolve("policy"), 1);
        reference = TinyModels.write(dir.resolve("reference"), 2);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            lines.add("{\"prompt\": \"The story " + i + " begins\", \"chosen\": \" with a dog and a cat\", "
                    + "\"rejected\": \" when " + "it rains ".repeat(i % 3 + 1) + "\"}");
            if (i == 4) {
                lines.add("");
            }
        }
        pairs = Files.write(dir.resolve("pairs.jsonl"), lines);
    }

    /** The JSON lines of a job's output folder, part file by part file. */
    static List<String> lines(Path folder) throws IOException {
        assertTrue(Files.isRegularFile(folder.resolve("_SUCCESS")), "committed: " + folder);
        List<String> out = new ArrayList<>();
        try (Stream<Path> parts = Files.list(folder)) {
            for (Path part : parts.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList()) {
                out.addAll(Files.readAllLines(part));
            }
        }
        return out;
    }

    @Test
    void theLinesAreAlign4jScoresLinesNumberForNumberAtAnyPartitioning() throws IOException {
        Path local = dir.resolve("local.jsonl");
        assertEquals(0, Main.run("score", "--model", policy.toString(), "--ref-model", reference.toString(),
                "--data", pairs.toString(), "--batch-size", "3", "--out", local.toString()));
        List<String> expected = Files.readAllLines(local);
        assertEquals(11, expected.size());
        for (int partitions : new int[] {1, 2, 3}) {
            Path out = dir.resolve("spark-" + partitions);
            assertEquals(0, SparkMain.run("score", "--spark-master", "local[2]", "--model", policy.toString(),
                    "--ref-model", reference.toString(), "--data", pairs.toString(), "--batch-size", "3",
                    "--partitions", String.valueOf(partitions), "--out", out.toString()));
            assertEquals(expected, lines(out), partitions + " partitions");
        }
        assertTrue(expected.get(5).contains("pairs.jsonl:7"), "sources name the file's line: " + expected.get(5));
    }

    @Test
    void rewardLinesAreAlign4jRewardsLinesNumberForNumberAtAnyPartitioning() throws IOException {
        Path rm = TinyModels.writeRewardModel(dir.resolve("rm"), 5);
        List<String> mixed = new ArrayList<>(Files.readAllLines(pairs));
        mixed.add(3, "{\"text\": \"A story about a dog\"}");
        mixed.add("{\"prompt\": \"Once\", \"completion\": \" upon a time\"}");
        Path data = Files.write(dir.resolve("mixed.jsonl"), mixed);
        Path local = dir.resolve("rewards.jsonl");
        assertEquals(0, Main.run("reward", "--model", rm.toString(), "--data", data.toString(), "--batch-size", "4",
                "--out", local.toString()));
        List<String> expected = Files.readAllLines(local);
        assertEquals(13, expected.size());
        for (int partitions : new int[] {1, 3}) {
            Path out = dir.resolve("rewards-" + partitions);
            assertEquals(0, SparkMain.run("reward", "--model", rm.toString(), "--data", data.toString(),
                    "--batch-size", "4", "--partitions", String.valueOf(partitions), "--out", out.toString()));
            assertEquals(expected, lines(out), partitions + " partitions");
        }
    }

    @Test
    void parquetInAndOutHoldsTheSameScores() throws IOException {
        Path table = dir.resolve("pairs.parquet");
        spark.read().json(pairs.toString()).coalesce(1).write().parquet(table.toString());
        Path out = dir.resolve("scores.parquet");
        assertEquals(0, SparkMain.run("score", "--model", policy.toString(), "--data", table.toString(),
                "--out", out.toString()));
        List<String> json = spark.read().parquet(out.toString()).toJSON().collectAsList();
        assertEquals(11, json.size());
        assertTrue(json.getFirst().contains("\"policy_chosen_logps\"") && !json.getFirst().contains("ref_chosen"),
                json.getFirst());
    }

    @Test
    void aMissingFileOrAnExistingOutputIsOneLineAndExitCode2() {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertEquals(Main.EXIT_BAD_INPUT, SparkMain.run("score", "--model", policy.toString(), "--data",
                    dir.resolve("missing.jsonl").toString(), "--out", dir.resolve("never").toString()));
            assertEquals(Main.EXIT_BAD_INPUT, SparkMain.run("score", "--model", policy.toString(), "--data",
                    pairs.toString(), "--out", dir.toString()));
        } finally {
            System.setErr(err);
        }
        List<String> lines = captured.toString(StandardCharsets.UTF_8).lines()
                .filter(l -> l.startsWith("align4j-spark")).toList();
        assertEquals(2, lines.size(), captured.toString(StandardCharsets.UTF_8));
        assertTrue(lines.get(0).contains("missing.jsonl: no such file"), lines.get(0));
        assertTrue(lines.get(1).contains("the output already exists"), lines.get(1));
    }
}
