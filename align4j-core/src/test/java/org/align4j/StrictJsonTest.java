package org.align4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.align4j.model.HfModels;
import org.align4j.model.ModelException;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.tokenizer.TokenizerException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config.json and tokenizer files are read as Python's json reads them, or refused: never read differently. */
class StrictJsonTest {
    @TempDir
    Path dir;

    @Test
    void trailingContentRepeatedKeysByteOrderMarksAndNonUtf8AreRefused() throws IOException {
        Map<String, byte[]> bad = Map.of(
                "trailing", "{\"model_type\": \"llama\"} x".getBytes(StandardCharsets.UTF_8),
                "two values", "{\"model_type\": \"llama\"}{}".getBytes(StandardCharsets.UTF_8),
                "repeated key", "{\"model_type\": \"llama\", \"model_type\": \"gpt2\"}".getBytes(StandardCharsets.UTF_8),
                "bom", "\uFEFF{\"model_type\": \"llama\"}".getBytes(StandardCharsets.UTF_8),
                "utf-16", "{\"model_type\": \"llama\"}".getBytes(StandardCharsets.UTF_16),
                "latin-1", new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xE9, '"', '}'});
        for (Map.Entry<String, byte[]> e : bad.entrySet()) {
            Path model = Files.createDirectories(dir.resolve(e.getKey().replace(' ', '-')));
            Files.write(model.resolve("config.json"), e.getValue());
            ModelException error = assertThrows(ModelException.class, () -> HfModels.readConfig(model), e.getKey());
            assertTrue(error.getMessage().startsWith(model.resolve("config.json") + ""), error.getMessage());
            assertEquals(1, error.getMessage().lines().count(), error.getMessage());
            Files.write(model.resolve("tokenizer.json"), e.getValue());
            TokenizerException tokenizer = assertThrows(TokenizerException.class, () -> Tokenizer.load(model),
                    e.getKey());
            assertTrue(tokenizer.getMessage().startsWith(model.resolve("tokenizer.json") + ": malformed JSON"),
                    tokenizer.getMessage());
        }
    }
}
