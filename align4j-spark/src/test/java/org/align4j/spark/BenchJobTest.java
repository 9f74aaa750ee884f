package org.align4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchJobTest {
    @TempDir
    Path dir;

    @Test
    void aTinyBenchPrintsEveryRunsLine() {
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = SparkMain.run("bench", "--pairs", "2", "--prompts", "1", "--num-generations", "2",
                    "--max-new-tokens", "3", "--preset", "tiny", "--dpo-steps", "1", "--dpo-batch", "1", "--seq", "8",
                    "--work-dir", dir.toString());
        } finally {
            System.setOut(stdout);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        for (String line : List.of("score    one JVM", "generate one JVM", "score    local[1]", "generate local[2]",
                "dpo step one JVM", "dpo step local[1], 1 shard(s)", "dpo step local[2], 2 shard(s)")) {
            assertTrue(out.contains(line), line + " in\n" + out);
        }
        assertTrue(out.contains("against one JVM"), out);
    }
}
