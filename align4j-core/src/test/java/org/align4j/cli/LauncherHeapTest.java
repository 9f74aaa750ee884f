package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The launcher's heap option ({@code scripts/heap.sh}): ALIGN4J_HEAP, its default, and ALIGN4J_JAVA_OPTS winning. */
class LauncherHeapTest {

    private record Result(int exitCode, String out, String err) {
    }

    private static Result heapOpts(Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", ". ../scripts/heap.sh && align4j_heap_opts");
        pb.environment().remove("ALIGN4J_HEAP");
        pb.environment().remove("ALIGN4J_JAVA_OPTS");
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        return new Result(p.waitFor(), out, err);
    }

    @Test
    void defaultsToMostOfTheMemory() throws Exception {
        assertEquals(new Result(0, "-XX:MaxRAMPercentage=85", ""), heapOpts(Map.of()));
    }

    @Test
    void takesASizeOrAPercentage() throws Exception {
        assertEquals("-Xmx20g", heapOpts(Map.of("ALIGN4J_HEAP", "20g")).out());
        assertEquals("-Xmx512m", heapOpts(Map.of("ALIGN4J_HEAP", "512m")).out());
        assertEquals("-XX:MaxRAMPercentage=70", heapOpts(Map.of("ALIGN4J_HEAP", "70%")).out());
        assertEquals("-XX:MaxRAMPercentage=12.5", heapOpts(Map.of("ALIGN4J_HEAP", "12.5%")).out());
    }

    @Test
    void javaOptionsThatSizeTheHeapWin() throws Exception {
        assertEquals(new Result(0, "", ""), heapOpts(Map.of("ALIGN4J_JAVA_OPTS", "-Xmn96m -Xmx2g",
                "ALIGN4J_HEAP", "20g")));
        assertEquals(new Result(0, "", ""), heapOpts(Map.of("ALIGN4J_JAVA_OPTS", "-XX:MaxRAMPercentage=50")));
        assertEquals("-XX:MaxRAMPercentage=85", heapOpts(Map.of("ALIGN4J_JAVA_OPTS", "-Xmn96m")).out());
    }

    @Test
    void malformedValueFailsWithOneLine() throws Exception {
        for (String bad : new String[] {"lots", "20x", "0g", "0%", "150%", "%"}) {
            Result r = heapOpts(Map.of("ALIGN4J_HEAP", bad));
            assertEquals(2, r.exitCode(), bad);
            assertEquals("", r.out(), bad);
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().contains("ALIGN4J_HEAP '" + bad + "'"), r.err());
        }
    }
}
