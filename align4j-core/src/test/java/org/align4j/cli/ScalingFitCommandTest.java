package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.align4j.scaling.ScalingLawReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScalingFitCommandTest {
    @TempDir
    Path tmp;

    @Test
    void fitsEpochAisPointsAndWritesResultsReportAndFigures() throws IOException {
        Path csv = tmp.resolve("points.csv");
        try (InputStream in = getClass().getResourceAsStream("/scaling/chinchilla-figure4-points.csv")) {
            Files.copy(in, csv);
        }
        Path out = tmp.resolve("fit");
        assertEquals(0, Main.run("scaling", "fit", "--csv", csv.toString(), "--output", out.toString(),
                "--drop-highest-loss", "5", "--grid", "coarse", "--bootstrap", "10"));
        JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        assertEquals(1.817, results.at("/approach3/parameters/E/value").asDouble(), 0.02);
        assertEquals(0.348, results.at("/approach3/parameters/alpha/value").asDouble(), 0.0035);
        assertEquals(240, results.at("/settings/runs").asInt());
        assertTrue(results.get("held").asBoolean());
        assertTrue(results.at("/approach2/parameters_vs_compute/exponent").isNumber());
        assertTrue(results.at("/approach3/frontier").size() >= 5);
        for (String figure : ScalingLawReport.FIGURES) {
            assertTrue(Files.size(out.resolve(figure)) > 1000, figure);
        }
        assertTrue(Files.readString(out.resolve("report.md")).contains("**Held:** yes"));
    }

    @Test
    void recoversAnExactLawFromScatteredRunsWithoutIsoFlopProfiles() throws IOException {
        StringBuilder csv = new StringBuilder("N,D,loss\n");
        java.util.SplittableRandom rng = new java.util.SplittableRandom(1);
        for (int i = 0; i < 12; i++) {
            double n = Math.pow(10, 6 + 3 * rng.nextDouble());
            double d = Math.pow(10, 8 + 3 * rng.nextDouble());
            csv.append(n).append(',').append(d).append(',')
                    .append(1.69 + 406.4 / Math.pow(n, 0.34) + 410.7 / Math.pow(d, 0.28)).append('\n');
        }
        Path file = Files.writeString(tmp.resolve("exact.csv"), csv);
        Path out = tmp.resolve("exact");
        assertEquals(0, Main.run("scaling", "fit", "--csv", file.toString(), "--output", out.toString(), "--grid",
                "coarse", "--bootstrap", "5"));
        JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        assertEquals(0.34, results.at("/approach3/parameters/alpha/value").asDouble(), 1e-3);
        assertEquals(0.28, results.at("/approach3/parameters/beta/value").asDouble(), 1e-3);
        assertEquals(1.69, results.at("/approach3/parameters/E/value").asDouble(), 1e-3);
        assertEquals(0, results.at("/approach2/profiles").size());
        for (String figure : ScalingLawReport.FIGURES) {
            assertTrue(Files.exists(out.resolve(figure)), figure);
        }
    }

    @Test
    void aMalformedLineIsOneLineNamingFileLineAndColumnWithExitCode2() throws IOException {
        Path csv = Files.writeString(tmp.resolve("bad.csv"), "N,D,loss\n1e6,1e9,3.2\n2e6,x,3.1\n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run("scaling", "fit", "--csv", csv.toString(), "--output", tmp.resolve("o").toString());
        } finally {
            System.setErr(saved);
        }
        assertEquals(2, code);
        assertEquals("align4j fit: " + csv + ":3: column 'D': 'x' is not a positive number",
                err.toString(StandardCharsets.UTF_8).strip());
    }
}
