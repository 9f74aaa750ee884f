package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.align4j.model.Fixture;
import org.align4j.model.io.SafeTensors;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code align4j forward} end to end, and its exit code on bad input. */
class ForwardCommandTest {
    @TempDir
    Path tmp;

    @Test
    void writesTheGoldenLogits() {
        Fixture f = Fixture.load("qwen3-tiny");
        Path out = tmp.resolve("logits.safetensors");
        int code = Main.run("forward", "--model", f.dir().toString(),
                "--input-ids", f.golden().get("input_ids").toString(),
                "--attention-mask", f.golden().get("attention_mask").toString(), "--out", out.toString());
        assertEquals(0, code);
        Tensor golden = f.goldenTensor("logits");
        try (SafeTensors st = SafeTensors.open(out)) {
            Tensor logits = st.read("logits");
            assertEquals(java.util.List.of(2, 12, 1000), java.util.Arrays.stream(logits.shape()).boxed().toList());
            int[] mask = Fixture.intRows(f.golden().get("attention_mask"))[1];
            double max = 0;
            for (int i = 0; i < logits.size(); i++) {
                int row = i / 1000;
                if (row >= 12 && mask[row - 12] == 0) {
                    continue;
                }
                max = Math.max(max, Math.abs(logits.get(i) - golden.get(i)));
            }
            assertTrue(max <= 1e-4, "max |diff| " + max);
        }
    }

    @Test
    void badInputExitsWithTwoAndOneLine() {
        Fixture f = Fixture.load("gpt2-tiny");
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertEquals(2, Main.run("forward", "--model", tmp.resolve("missing").toString(), "--input-ids", "[[1]]",
                    "--out", tmp.resolve("x.safetensors").toString()));
            assertEquals(2, Main.run("forward", "--model", f.dir().toString(), "--input-ids", "[[1, 2], [3]]",
                    "--out", tmp.resolve("x.safetensors").toString()));
            assertEquals(2, Main.run("forward", "--model", f.dir().toString(), "--input-ids", "[[1, 2000]]",
                    "--out", tmp.resolve("x.safetensors").toString()));
        } finally {
            System.setErr(err);
        }
        String[] lines = captured.toString(StandardCharsets.UTF_8).strip().split("\n");
        assertEquals(3, lines.length, String.join("\n", lines));
        assertTrue(lines[0].contains("no such model directory"), lines[0]);
        assertTrue(lines[1].contains("input_ids row 1 has 1 ids, row 0 has 2"), lines[1]);
        assertTrue(lines[2].contains("token id 2000"), lines[2]);
        assertTrue(Files.notExists(tmp.resolve("x.safetensors")), "nothing written on error");
    }
}
