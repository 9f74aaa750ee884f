package org.align4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.align4j.align.dpo.PrecomputedReference;
import org.align4j.cli.Main;
import org.junit.jupiter.api.Test;

class PrecomputeRefJobTest extends LocalSparkTest {

    private static Path cacheFile(Path outputDir) throws IOException {
        try (Stream<Path> files = Files.list(outputDir)) {
            List<Path> found = files.filter(f -> f.getFileName().toString().startsWith(PrecomputedReference.FILE_PREFIX))
                    .toList();
            assertEquals(1, found.size(), found.toString());
            return found.getFirst();
        }
    }

    @Test
    void theCacheFileIsTheOneDpoWritesAndDpoReadsIt() throws IOException {
        Path policy = TinyModels.write(dir.resolve("policy"), 1);
        Path reference = TinyModels.write(dir.resolve("reference"), 2);
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 7; i++) {
            lines.append("{\"prompt\": \"Story ").append(i).append("\", \"chosen\": \" a dog ran\", \"rejected\": \" it")
                    .append(" rained".repeat(i + 1)).append("\"}\n");
        }
        Path pairs = Files.writeString(dir.resolve("pairs.jsonl"), lines);
        Path config = Files.writeString(dir.resolve("dpo.yaml"), "precompute_ref_log_probs: true\n"
                + "precompute_ref_batch_size: 3\nmax_steps: 1\nper_device_train_batch_size: 2\nsave_strategy: \"no\"\n"
                + "report_to: none\n");
        Path local = dir.resolve("local-run");
        assertEquals(0, Main.run("dpo", "--model", policy.toString(), "--ref-model", reference.toString(),
                "--data", pairs.toString(), "--config", config.toString(), "--output", local.toString()));
        Path spark = dir.resolve("spark-run");
        assertEquals(0, SparkMain.run("precompute-ref", "--model", policy.toString(), "--ref-model",
                reference.toString(), "--data", pairs.toString(), "--config", config.toString(), "--output-dir",
                spark.toString(), "--partitions", "2"));
        Path expected = cacheFile(local);
        Path written = cacheFile(spark);
        assertEquals(expected.getFileName(), written.getFileName(), "the same key");
        assertEquals(Files.readString(expected), Files.readString(written), "the same values, to the bit");

        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Main.run("dpo", "--model", policy.toString(), "--ref-model", reference.toString(),
                    "--data", pairs.toString(), "--config", config.toString(), "--output", spark.toString()));
        } finally {
            System.setErr(err);
        }
        assertTrue(captured.toString(StandardCharsets.UTF_8).contains("reference log-probs read from cache"),
                captured.toString(StandardCharsets.UTF_8));
    }
}
