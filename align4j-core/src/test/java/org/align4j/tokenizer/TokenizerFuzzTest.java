package org.align4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Mutated {@code tokenizer.json} files of a byte-level BPE (500 per run): vocabulary ids, added tokens and merges
 * changed to hostile values. Each is refused by a one-line {@link TokenizerException} naming the file, or loads a
 * tokenizer that encodes and decodes every probe text back to itself: no byte silently lost.
 */
class TokenizerFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> PROBES = List.of("the theme", "a\u0000b\n\tc",
            "caf\u00e9 \u4f60\u597d \ud83d\ude00", "<s> x</s>", "  spaces  ");
    private static final String[] IDS = {"-1", "0", "1", "258", "259", "260", "300", "2147483647", "2147483648",
        "1.5", "\"7\"", "null"};
    private static Path dir;
    private static ObjectNode base;

    @BeforeContainer
    static void baseTokenizer() throws IOException {
        dir = Files.createTempDirectory("tokenizer-fuzz");
        Path written = TokenizerDirectory.byteLevel().set("added_tokens",
                "[{\"id\": 259, \"content\": \"<s>\", \"special\": true}, {\"id\": 260, \"content\": \"</s>\","
                        + " \"special\": true}]").write(dir.resolve("base"));
        base = (ObjectNode) JSON.readTree(written.resolve(Tokenizer.TOKENIZER_FILE).toFile());
    }

    @AfterContainer
    static void removeFiles() throws IOException {
        for (String folder : List.of("base", "case")) {
            for (String file : List.of(Tokenizer.TOKENIZER_FILE, Tokenizer.CONFIG_FILE)) {
                Files.deleteIfExists(dir.resolve(folder).resolve(file));
            }
            Files.deleteIfExists(dir.resolve(folder));
        }
        Files.delete(dir);
    }

    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs();
    }

    @Property(tries = 500)
    void mutatedTokenizerIsRefusedInOneLineOrRoundTripsEveryText(@ForAll("seeds") long seed) throws IOException {
        Statistics.coverage(check -> {
            check.check("refused").percentage(p -> p > 20);
            check.check("loaded").count(n -> n > 0);
        });
        Random random = new Random(seed);
        ObjectNode tokenizer = base.deepCopy();
        for (int i = 0, n = 1 + random.nextInt(2); i < n; i++) {
            mutate(tokenizer, random);
        }
        Path folder = Files.createDirectories(dir.resolve("case"));
        Files.writeString(folder.resolve(Tokenizer.TOKENIZER_FILE), tokenizer.toString());
        Files.writeString(folder.resolve(Tokenizer.CONFIG_FILE), "{}");
        Tokenizer loaded;
        try {
            loaded = Tokenizer.load(folder);
        } catch (TokenizerException e) {
            assertTrue(e.getMessage().startsWith(folder.resolve(Tokenizer.TOKENIZER_FILE) + ": "), e.getMessage());
            assertEquals(-1, e.getMessage().indexOf('\n'), e.getMessage());
            Statistics.collect("refused");
            return;
        }
        for (String text : PROBES) {
            assertEquals(text, loaded.decode(loaded.encode(text, false), false), "round trip with " + tokenizer);
        }
        Statistics.collect("loaded");
    }

    /** Changes a vocab id, an added token's id or content, removes a vocab entry or a merge, or adds a token. */
    private static void mutate(ObjectNode tokenizer, Random random) throws IOException {
        ObjectNode model = (ObjectNode) tokenizer.get("model");
        ObjectNode vocab = (ObjectNode) model.get("vocab");
        ArrayNode added = (ArrayNode) tokenizer.get("added_tokens");
        List<String> tokens = new ArrayList<>();
        vocab.fieldNames().forEachRemaining(tokens::add);
        JsonNode id = JSON.readTree(IDS[random.nextInt(IDS.length)]);
        switch (random.nextInt(6)) {
            case 0 -> vocab.set(tokens.get(random.nextInt(tokens.size())), id);
            case 1 -> vocab.remove(tokens.get(random.nextInt(tokens.size())));
            case 2 -> {
                if (!added.isEmpty()) {
                    ((ObjectNode) added.get(random.nextInt(added.size()))).set("id", id);
                }
            }
            case 3 -> added.addObject().put("content", random.nextBoolean() ? "he" : "<x>").set("id", id);
            case 4 -> {
                ArrayNode merges = (ArrayNode) model.get("merges");
                if (!merges.isEmpty()) {
                    merges.remove(random.nextInt(merges.size()));
                }
            }
            default -> vocab.set(random.nextBoolean() ? "new" : "\u0100\u0100", id);
        }
    }
}
