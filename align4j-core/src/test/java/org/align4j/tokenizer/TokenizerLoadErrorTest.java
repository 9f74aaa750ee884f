package org.align4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading failures are one-line {@link TokenizerException}s that name the file and what is wrong. */
class TokenizerLoadErrorTest {
    @TempDir
    Path dir;

    private String loadError(Path directory) {
        return assertThrows(TokenizerException.class, () -> Tokenizer.load(directory)).getMessage();
    }

    @Test
    void missingDirectoryOrTokenizerJson() {
        assertEquals(dir.resolve("nope") + ": no such tokenizer directory", loadError(dir.resolve("nope")));
        assertEquals(dir.resolve("tokenizer.json") + ": file not found", loadError(dir));
    }

    @Test
    void malformedJsonNamesLineAndColumn() throws Exception {
        Files.writeString(dir.resolve("tokenizer.json"), "{\n  \"model\": {\"type\": \"BPE\",,}\n}");
        String message = loadError(dir);
        assertEquals(dir.resolve("tokenizer.json") + ": malformed JSON at line 2, column 27: ",
                message.substring(0, message.indexOf(": ", message.indexOf("column")) + 2));
        assertEquals(1, message.lines().count());
        Files.writeString(dir.resolve("tokenizer.json"), "[1, 2]");
        assertEquals(dir.resolve("tokenizer.json") + ": expected a JSON object", loadError(dir));
    }

    @Test
    void malformedConfig() {
        TokenizerDirectory.byteLevel().config("{\"bos_token\": 3}").write(dir);
        assertEquals(dir.resolve("tokenizer_config.json") + ": \"bos_token\" must be a string or an object with \"content\", got 3",
                loadError(dir));
        TokenizerDirectory.byteLevel().config("{\"chat_template\": [{\"name\": \"rag\", \"template\": \"x\"}]}").write(dir);
        assertEquals(dir.resolve("tokenizer_config.json") + ": chat_template list has no template named 'default'",
                loadError(dir));
    }

    @Test
    void unsupportedComponentsNameFileAndType() {
        TokenizerDirectory.byteLevel().set("post_processor", "{\"type\": \"Unknown\"}").write(dir);
        assertEquals(dir.resolve("tokenizer.json") + ": unsupported post_processor type 'Unknown'", loadError(dir));
        TokenizerDirectory.byteLevel().set("model", "{\"type\": \"Unigram\", \"vocab\": []}").write(dir);
        assertEquals(dir.resolve("tokenizer.json") + ": unsupported model type 'Unigram'", loadError(dir));
        TokenizerDirectory.byteLevel().set("normalizer", "{\"strip_left\": true}").write(dir);
        assertEquals(dir.resolve("tokenizer.json") + ": normalizer without a \"type\": {\"strip_left\":true}", loadError(dir));
    }

    @Test
    void tokenizerConfigIsOptional() throws Exception {
        Path written = TokenizerDirectory.byteLevel().write(dir);
        Files.delete(written.resolve(Tokenizer.CONFIG_FILE));
        assertEquals(259, Tokenizer.load(written).vocabSize());
    }
}
