package org.align4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;
import org.align4j.ByteSplice;

/**
 * Mutated JSONL lines (2,000 per run), each the second of three lines: the file is read whole when the line is
 * exactly one JSON object in strict UTF-8 (judged here by a token walk of its own), and otherwise rejected with one
 * line naming {@code file:2}. Never another exception, never a line's content silently dropped.
 */
class JsonlDatasetFuzzTest {
    private static final List<String> LINES = List.of(
            "{\"text\": \"The rain fell on the town.\"}",
            "{\"prompt\": \"Say hi\", \"completion\": \" hi\"}",
            "{\"prompt\": \"Pick\", \"chosen\": \" yes\", \"rejected\": \" no\", \"margin\": 1.5}",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"},"
                    + " {\"role\": \"assistant\", \"content\": \"Yo\"}]}",
            "{\"prompt_ids\": [1, 2, 3], \"chosen_ids\": [4], \"rejected_ids\": [5, 6]}",
            "{\"chosen\": \"caf\u00e9 \u2014 na\u00efve\", \"rejected\": \"\u4f60\u597d\"}");
    private static final String[] PIECES = {"x", "]", "}", "{}", "{\"a\":1}", ",", "\"", "\\", "\\u00", "\r",
        "\r\r", "\u0000", "\u001f", "\uFEFF", " ", "\t", "null", "1e999", "-", "\"text\": \"dup\", ", "\u2028"};
    private static Path dir;

    @BeforeContainer
    static void folder() throws IOException {
        dir = Files.createTempDirectory("jsonl-fuzz");
    }

    @AfterContainer
    static void removeFolder() throws IOException {
        Files.deleteIfExists(dir.resolve("f.jsonl"));
        Files.delete(dir);
    }

    record Case(int base, long seed, int mutations, boolean crlf) {
    }

    @Provide
    Arbitrary<Case> cases() {
        return Combinators.combine(Arbitraries.integers().between(0, LINES.size() - 1), Arbitraries.longs(),
                Arbitraries.integers().between(1, 3), Arbitraries.of(true, false)).as(Case::new);
    }

    @Property(tries = 2_000)
    void mutatedLineIsReadWholeOrRejectedNamingItsLine(@ForAll("cases") Case c) throws IOException {
        Statistics.coverage(check -> {
            check.check("rejected").percentage(p -> p > 20);
            check.check("read").count(n -> n > 0);
        });
        Random random = new Random(c.seed());
        byte[] line = LINES.get(c.base()).getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < c.mutations(); i++) {
            line = mutate(line, random);
        }
        byte[] end = (c.crlf() ? "\r\n" : "\n").getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        file.writeBytes(LINES.get(0).getBytes(StandardCharsets.UTF_8));
        file.writeBytes(end);
        file.writeBytes(line);
        file.writeBytes(end);
        file.writeBytes(LINES.get(1).getBytes(StandardCharsets.UTF_8));
        file.writeBytes(end);
        Path path = Files.write(dir.resolve("f.jsonl"), file.toByteArray());
        boolean blank = isBlank(line);
        boolean strict = blank || isOneStrictObject(line);
        List<Example> examples;
        try {
            examples = JsonlDataset.read(path);
        } catch (DataException e) {
            assertTrue(e.getMessage().startsWith("f.jsonl:2: "), e.getMessage());
            assertEquals(-1, e.getMessage().indexOf('\n'), e.getMessage());
            Statistics.collect("rejected");
            return;
        }
        assertTrue(strict, "read, but not one strict JSON object: " + new String(line, StandardCharsets.UTF_8));
        assertEquals(blank ? 2 : 3, examples.size());
        assertEquals(blank ? "f.jsonl:3" : "f.jsonl:2", examples.get(1).source());
        Statistics.collect("read");
    }

    private static boolean isBlank(byte[] line) {
        for (byte b : line) {
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether the line (one trailing {@code \r} aside) is strict UTF-8 without a byte-order mark holding one JSON
     * object, no key twice in any object, and nothing after it: what Python's {@code json.loads} takes as an object.
     */
    private static boolean isOneStrictObject(byte[] line) {
        int length = line.length > 0 && line[line.length - 1] == '\r' ? line.length - 1 : line.length;
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(line, 0, length))
                    .toString();
        } catch (CharacterCodingException e) {
            return false;
        }
        if (text.startsWith("\uFEFF")) {
            return false;
        }
        try (JsonParser parser = new JsonFactory().createParser(text)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            Deque<Set<String>> keys = new ArrayDeque<>();
            keys.push(new HashSet<>());
            while (!keys.isEmpty()) {
                JsonToken token = parser.nextToken();
                if (token == null) {
                    return false;
                }
                switch (token) {
                    case START_OBJECT -> keys.push(new HashSet<>());
                    case END_OBJECT -> keys.pop();
                    case FIELD_NAME -> {
                        if (!keys.peek().add(parser.currentName())) {
                            return false;
                        }
                    }
                    case START_ARRAY -> keys.push(new HashSet<>());
                    case END_ARRAY -> keys.pop();
                    default -> {
                    }
                }
            }
            return parser.nextToken() == null;
        } catch (IOException e) {
            return false;
        }
    }

    /** One random change: a piece inserted or replacing bytes, a byte deleted or flipped, a raw non-UTF-8 byte. */
    private static byte[] mutate(byte[] line, Random random) {
        int at = random.nextInt(line.length + 1);
        byte[] piece = PIECES[random.nextInt(PIECES.length)].getBytes(StandardCharsets.UTF_8);
        return switch (random.nextInt(6)) {
            case 0, 1 -> ByteSplice.of(line, at, 0, piece);
            case 2 -> ByteSplice.of(line, at, 1 + random.nextInt(3), new byte[0]);
            case 3 -> ByteSplice.of(line, at, 1, piece);
            case 4 -> ByteSplice.of(line, at, 0, new byte[] {(byte) (0x80 + random.nextInt(0x80))});
            default -> {
                byte[] out = line.clone();
                if (out.length > 0) {
                    int i = random.nextInt(out.length);
                    out[i] ^= (byte) (1 << random.nextInt(7));
                    if (out[i] == '\n') {
                        out[i] = ' ';
                    }
                }
                yield out;
            }
        };
    }
}
