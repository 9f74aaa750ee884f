package org.align4j.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.align4j.tensor.BFloat16;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SafeTensorsWriterTest {
    @TempDir
    Path dir;

    static Stream<Path> fixtures() throws IOException {
        return TestFiles.fixtureSafetensors().stream();
    }

    /** Everything in a file, each tensor stored back as the dtype it had. */
    private static Map<String, SafeTensorsWriter.Entry> readAll(SafeTensors st) {
        Map<String, SafeTensorsWriter.Entry> entries = new LinkedHashMap<>();
        for (String name : st.names()) {
            entries.put(name, new SafeTensorsWriter.Entry(st.read(name), st.info(name).dtype()));
        }
        return entries;
    }

    /** A checkpoint saved by transformers, loaded and saved again, is the same file byte for byte. */
    @ParameterizedTest
    @MethodSource("fixtures")
    void rewritingFixtureIsByteIdentical(Path fixture) throws IOException {
        Path copy = dir.resolve("copy.safetensors");
        try (SafeTensors st = SafeTensors.open(fixture)) {
            SafeTensorsWriter.write(copy, readAll(st), st.metadata());
        }
        assertArrayEquals(Files.readAllBytes(fixture), Files.readAllBytes(copy));
    }

    /** Layout (dtype order, then name) and half-precision bytes agree with the numpy-built reference file. */
    @Test
    void rewritingMixedDtypesIsByteIdentical() throws IOException {
        Path reference = TestFiles.resource("/model-io/mixed-dtypes.safetensors");
        Path copy = dir.resolve("copy.safetensors");
        Map<String, SafeTensorsWriter.Entry> entries;
        try (SafeTensors st = SafeTensors.open(reference)) {
            entries = readAll(st);
        }
        Map<String, SafeTensorsWriter.Entry> shuffled = new LinkedHashMap<>();
        for (String name : List.of("c.f16", "f.empty", "b.bf16", "e.scalar", "a.f32")) {
            shuffled.put(name, entries.get(name));
        }
        SafeTensorsWriter.write(copy, shuffled);
        assertArrayEquals(Files.readAllBytes(reference), Files.readAllBytes(copy));
    }

    @Test
    void float32RoundTripIsBitExact() {
        float[] values = {0f, -0f, 1f, -3.75f, Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0x7FC12345),
            Float.intBitsToFloat(0xFF800001), 0.1f, 1e-30f};
        Tensor t = Tensor.of(values.clone(), 2, 7);
        Path file = dir.resolve("f32.safetensors");
        SafeTensorsWriter.write(file, Map.of("t", new SafeTensorsWriter.Entry(t, Dtype.F32)));
        try (SafeTensors st = SafeTensors.open(file)) {
            Tensor back = st.read("t");
            assertArrayEquals(new int[] {2, 7}, back.shape());
            for (int i = 0; i < values.length; i++) {
                assertEquals(Float.floatToRawIntBits(values[i]), Float.floatToRawIntBits(back.get(i)), "index " + i);
            }
        }
    }

    @Test
    void bfloat16StoresRoundedBits() throws IOException {
        float[] values = {1f, 3.14159f, 65504f, Float.intBitsToFloat(0x3F808000), Float.intBitsToFloat(0x3F818000),
            Float.intBitsToFloat(0x00018000), Float.NaN, -0f, 1e30f};
        int[] expectedBits = {0x3F80, 0x4049, 0x4780, 0x3F80, 0x3F82, 0x0002, 0x7FC0, 0x8000, 0x714A};
        assertStoredHalves(Dtype.BF16, values, expectedBits);
    }

    @Test
    void float16StoresRoundedBits() throws IOException {
        float[] values = {1f, 3.14159f, 65504f, 65520f, 0x1p-24f, 0x1p-25f, 0x1.8p-24f, 0x1p-14f, -0f, -2.5f,
            Float.intBitsToFloat(0x3F808000), 1e30f, Float.NaN};
        int[] expectedBits = {0x3C00, 0x4248, 0x7BFF, 0x7C00, 0x0001, 0x0000, 0x0002, 0x0400, 0x8000, 0xC100,
            0x3C04, 0x7C00, 0x7E00};
        assertStoredHalves(Dtype.F16, values, expectedBits);
    }

    private void assertStoredHalves(Dtype dtype, float[] values, int[] expectedBits) throws IOException {
        Path file = dir.resolve(dtype + ".safetensors");
        Tensor tensor = Tensor.of(values, values.length);
        SafeTensorsWriter.write(file, Map.of("h", new SafeTensorsWriter.Entry(tensor, dtype)));
        try (SafeTensors st = SafeTensors.open(file)) {
            TensorInfo info = st.info("h");
            assertEquals(dtype, info.dtype());
            ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            long dataStart = 8 + bytes.getLong(0);
            float[] back = st.read("h").data();
            for (int i = 0; i < values.length; i++) {
                int stored = bytes.getShort((int) (dataStart + info.dataBegin()) + 2 * i) & 0xFFFF;
                assertEquals(expectedBits[i], stored, "value " + Float.toHexString(values[i]));
                float expected = dtype == Dtype.BF16
                        ? BFloat16.toFloat((short) expectedBits[i]) : Float.float16ToFloat((short) expectedBits[i]);
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(back[i]));
            }
        }
    }

    @Test
    void headerIsPaddedAndLeadsWithMetadata() throws IOException {
        Path file = dir.resolve("p.safetensors");
        SafeTensorsWriter.write(file,
                Map.of("attn.0", new SafeTensorsWriter.Entry(Tensor.zeros(1, 1, 2, 3), Dtype.F32)));
        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8);
        assertEquals(8 + headerLength + 24, bytes.length);
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        assertEquals("{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}       ", header);
    }

    @Test
    void emptyCheckpointAndNoMetadata() throws IOException {
        Path file = dir.resolve("e.safetensors");
        SafeTensorsWriter.write(file, Map.of(), Map.of());
        byte[] expected = {8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '};
        assertArrayEquals(expected, Files.readAllBytes(file));
        try (SafeTensors st = SafeTensors.open(file)) {
            assertTrue(st.names().isEmpty());
            assertTrue(st.metadata().isEmpty());
        }
    }

    /** Tensors larger than the write buffer are streamed in pieces. */
    @Test
    void largeTensorsSpanSeveralBuffers() {
        int n = 700_001;
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) Math.sin(i * 0.001) * (i % 97);
        }
        Map<String, SafeTensorsWriter.Entry> entries = new LinkedHashMap<>();
        entries.put("f32", new SafeTensorsWriter.Entry(Tensor.of(values, n), Dtype.F32));
        entries.put("bf16", new SafeTensorsWriter.Entry(Tensor.of(values, n), Dtype.BF16));
        entries.put("f16", new SafeTensorsWriter.Entry(Tensor.of(values, n), Dtype.F16));
        Path file = dir.resolve("large.safetensors");
        SafeTensorsWriter.write(file, entries);
        try (SafeTensors st = SafeTensors.open(file)) {
            assertArrayEquals(values, st.read("f32").data());
            float[] bf16 = st.read("bf16").data();
            float[] f16 = st.read("f16").data();
            for (int i = 0; i < n; i += 997) {
                assertEquals(BFloat16.toFloat(BFloat16.fromFloat(values[i])), bf16[i]);
                assertEquals(Float.float16ToFloat(Float.floatToFloat16(values[i])), f16[i]);
            }
            assertEquals(BFloat16.toFloat(BFloat16.fromFloat(values[n - 1])), bf16[n - 1]);
        }
    }

    @Test
    void onlyFloatDtypesAndBytesCanBeWritten() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SafeTensorsWriter.Entry(Tensor.zeros(2), Dtype.I64));
        assertEquals("cannot store a float32 tensor as I64 (supported: F32, BF16, F16, U8)", e.getMessage());
    }

    @Test
    void bytesRoundTripAsU8() {
        Path file = dir.resolve("u8.safetensors");
        byte[] bytes = {0, 1, (byte) 127, (byte) 128, (byte) 255, 42};
        SafeTensorsWriter.write(file, Map.of("packed", SafeTensorsWriter.Entry.bytes(bytes, 2, 3)));
        try (SafeTensors st = SafeTensors.open(file)) {
            assertEquals(Dtype.U8, st.info("packed").dtype());
            assertArrayEquals(new int[] {2, 3}, st.info("packed").shape());
            assertArrayEquals(bytes, st.readBytes("packed"));
            assertThrows(CheckpointException.class, () -> st.read("packed"));
        }
    }

    @Test
    void reservedNameLeavesNoFile() {
        Path file = dir.resolve("r.safetensors");
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensorsWriter.write(file,
                Map.of("__metadata__", new SafeTensorsWriter.Entry(Tensor.zeros(1), Dtype.F32))));
        assertEquals(file + ": tensor name '__metadata__' is reserved", e.getMessage());
        assertFalse(Files.exists(file));
    }

    @Test
    void ioFailureIsACheckpointException() {
        Path file = dir.resolve("missing-dir").resolve("w.safetensors");
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensorsWriter.write(file,
                SafeTensorsWriter.entries(Map.of("w", Tensor.zeros(2)), Dtype.F32)));
        assertEquals(file + ": cannot write: no such file or folder", e.getMessage());
    }
}
