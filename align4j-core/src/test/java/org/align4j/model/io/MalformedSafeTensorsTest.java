package org.align4j.model.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each kind of damage is reported as a one-line {@link CheckpointException} naming the file and the problem. */
class MalformedSafeTensorsTest {
    private static final String ONE_TENSOR = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    @TempDir
    Path dir;

    private Path file;

    private String openFails() {
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensors.open(file).close());
        assertEquals(-1, e.getMessage().indexOf('\n'), "one line: " + e.getMessage());
        return e.getMessage();
    }

    private void header(String header, int dataBytes) throws IOException {
        file = TestFiles.safetensors(dir.resolve("model.safetensors"), header, new byte[dataBytes]);
    }

    @Test
    void fileShorterThanHeaderLength() throws IOException {
        file = Files.write(dir.resolve("model.safetensors"), new byte[] {1, 2, 3});
        assertEquals(file + ": file is truncated: 3 bytes, shorter than the 8-byte header length", openFails());
    }

    @Test
    void truncatedInTheData() throws IOException {
        Path whole = TestFiles.resource("/fixtures/models/llama-tiny/model.safetensors");
        byte[] bytes = Files.readAllBytes(whole);
        file = Files.write(dir.resolve("model.safetensors"), Arrays.copyOf(bytes, bytes.length - 100));
        assertEquals(file + ": tensor 'model.norm.weight' data_offsets [881664, 881920] outside the data region"
                + " (881820 bytes)", openFails());
    }

    @Test
    void truncatedInTheHeader() throws IOException {
        Path whole = TestFiles.resource("/fixtures/models/llama-tiny/model.safetensors");
        file = Files.write(dir.resolve("model.safetensors"), Arrays.copyOf(Files.readAllBytes(whole), 1000));
        assertEquals(file + ": header length 2144 is larger than the 992 bytes after the length field"
                + " (file truncated?)", openFails());
    }

    @Test
    void headerLengthLargerThanFile() throws IOException {
        file = TestFiles.raw(dir.resolve("model.safetensors"), 4096, ONE_TENSOR, new byte[8]);
        assertEquals(file + ": header length 4096 is larger than the " + (ONE_TENSOR.length() + 8)
                + " bytes after the length field (file truncated?)", openFails());
    }

    @Test
    void headerLengthOverLimit() throws IOException {
        file = TestFiles.raw(dir.resolve("model.safetensors"), -1L, ONE_TENSOR, new byte[8]);
        assertEquals(file + ": header length 18446744073709551615 exceeds the limit of 100000000 bytes",
                openFails());
        file = TestFiles.raw(dir.resolve("model.safetensors"), 100_000_001L, ONE_TENSOR, new byte[8]);
        assertEquals(file + ": header length 100000001 exceeds the limit of 100000000 bytes", openFails());
    }

    @Test
    void headerNotJson() throws IOException {
        header("{\"w\": oops}", 0);
        assertEquals(file + ": header is not valid JSON: Unrecognized token 'oops': was expecting"
                + " (JSON String, Number, Array, Object or token 'null', 'true' or 'false')", openFails());
        header("{\"w\":{}} trailing", 0);
        openFails();
        header("", 0);
        assertEquals(file + ": header is not a JSON object", openFails());
        header("[1, 2]", 0);
        assertEquals(file + ": header is not a JSON object", openFails());
    }

    @Test
    void duplicateTensorName() throws IOException {
        header("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
        assertEquals(file + ": header is not valid JSON: Duplicate field 'w'", openFails());
    }

    @Test
    void offsetsOutsideDataRegion() throws IOException {
        header("{\"lm_head.weight\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}", 8);
        assertEquals(file + ": tensor 'lm_head.weight' data_offsets [0, 12] outside the data region (8 bytes)",
                openFails());
    }

    @Test
    void offsetsReversed() throws IOException {
        header("{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", 8);
        assertEquals(file + ": tensor 'w' data_offsets [8, 4] begin after end", openFails());
    }

    @Test
    void overlappingTensors() throws IOException {
        header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        assertEquals(file + ": tensors 'a' [0, 8] and 'b' [4, 12] overlap", openFails());
    }

    @Test
    void dataRegionMustBeCoveredExactly() throws IOException {
        header("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12);
        assertEquals(file + ": bytes [4, 8) of the data region belong to no tensor (before 'b' [8, 12]): header"
                + " length wrong?", openFails());
        header("{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
        assertEquals(file + ": bytes [0, 4) of the data region belong to no tensor (before 'b' [4, 8]): header"
                + " length wrong?", openFails());
        header(ONE_TENSOR, 9);
        assertEquals(file + ": bytes [8, 9) at the end of the data region belong to no tensor: header length wrong,"
                + " or data appended?", openFails());
        header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}", 8);
        assertEquals(file + ": tensors 'a' [0, 8] and 'e' [4, 4] overlap", openFails());
        header("{\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
        try (SafeTensors st = SafeTensors.open(file)) {
            assertEquals(List.of("a", "e"), List.copyOf(st.names()));
        }
    }

    /** A header length a few bytes short of the real one (the fuzz run's find) moves bytes into the data region. */
    @Test
    void headerLengthShortOfTheHeaderIsRefused() throws IOException {
        Path whole = TestFiles.resource("/fixtures/models/llama-tiny/model.safetensors");
        byte[] bytes = Files.readAllBytes(whole);
        ByteBuffer length = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long real = length.getLong(0);
        for (int shortBy = 1; shortBy <= 8; shortBy++) {
            length.putLong(0, real - shortBy);
            file = Files.write(dir.resolve("model.safetensors"), bytes);
            String message = openFails();
            assertTrue(message.startsWith(file + ": header is not") || message.contains("belong to no tensor"),
                    message);
        }
        for (int longBy = 1; longBy <= 8; longBy++) {
            length.putLong(0, real + longBy);
            file = Files.write(dir.resolve("model.safetensors"), bytes);
            String message = openFails();
            assertTrue(message.startsWith(file + ": header is not valid JSON"), message);
        }
    }

    @Test
    void headerTextIsStrictUtf8Json() throws IOException {
        header("\uFEFF" + ONE_TENSOR, 8);
        assertEquals(file + ": header is not valid JSON: starts with a byte-order mark (save it as UTF-8 without"
                + " one)", openFails());
        byte[] utf16 = ONE_TENSOR.getBytes(StandardCharsets.UTF_16);
        file = TestFiles.raw(dir.resolve("model.safetensors"), utf16.length, utf16, new byte[8]);
        assertEquals(file + ": header is not valid JSON: not UTF-8 text", openFails());
        utf16 = ONE_TENSOR.getBytes(StandardCharsets.UTF_16LE);
        file = TestFiles.raw(dir.resolve("model.safetensors"), utf16.length, utf16, new byte[8]);
        assertTrue(openFails().startsWith(file + ": header is not valid JSON: Illegal character"));
        header(" " + ONE_TENSOR, 8);
        assertEquals(file + ": header is not a JSON object starting at its first byte", openFails());
        header(ONE_TENSOR + "   ", 8);
        SafeTensors.open(file).close();
    }

    @Test
    void shapeDisagreesWithByteSize() throws IOException {
        header("{\"w\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,8]}}", 8);
        assertEquals(file + ": tensor 'w' shape [2, 3] of BF16 needs 12 bytes but data_offsets [0, 8] span 8",
                openFails());
    }

    @Test
    void shapeOverflows() throws IOException {
        header("{\"w\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,8]}}",
                8);
        assertEquals(file + ": tensor 'w' shape [2147483647, 2147483647, 2147483647] overflows a 64-bit byte count",
                openFails());
    }

    @Test
    void unknownDtype() throws IOException {
        header("{\"w\":{\"dtype\":\"F13\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
        assertEquals(file + ": tensor 'w' has unknown dtype 'F13'", openFails());
    }

    @Test
    void missingOrMistypedFields() throws IOException {
        header("{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
        assertEquals(file + ": tensor 'w' has no string field 'dtype'", openFails());
        header("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8);
        assertEquals(file + ": tensor 'w' field 'shape' must be an array of integers in [0, 2147483647]",
                openFails());
        header("{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8);
        assertEquals(file + ": tensor 'w' field 'shape' must be an array of integers in [0, 2147483647], got [-2]",
                openFails());
        header("{\"w\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8);
        openFails();
        header("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8]}}", 8);
        assertEquals(file + ": tensor 'w' field 'data_offsets' must be an array of 2 integers in [0, "
                + Long.MAX_VALUE + "]", openFails());
        header("{\"w\":[1,2]}", 8);
        assertEquals(file + ": tensor 'w' is not a JSON object", openFails());
    }

    @Test
    void metadataMustBeStrings() throws IOException {
        header("{\"__metadata__\":{\"format\":\"pt\",\"step\":3}}", 0);
        assertEquals(file + ": __metadata__ value of 'step' is not a string", openFails());
        header("{\"__metadata__\":[\"pt\"]}", 0);
        assertEquals(file + ": __metadata__ is not a JSON object", openFails());
    }

    @Test
    void missingFile() {
        file = dir.resolve("absent.safetensors");
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensors.open(file));
        assertEquals(file + ": cannot open: java.nio.file.NoSuchFileException: " + file, e.getMessage());
    }
}
