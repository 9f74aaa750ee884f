package org.align4j.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SafeTensorsTest {

    static Stream<Path> fixtures() throws IOException {
        return TestFiles.fixtureSafetensors().stream();
    }

    @Test
    void findsAllFixtureFiles() throws IOException {
        assertEquals(15, TestFiles.fixtureSafetensors().size());
    }

    /** Header entries and every value, against a plain independent decoding of the file bytes. */
    @ParameterizedTest
    @MethodSource("fixtures")
    void readsFixtureAsTheBytesSay(Path file) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = (int) bytes.getLong(0);
        String headerText = new String(bytes.array(), 8, headerLength, StandardCharsets.UTF_8);
        JsonNode header = new ObjectMapper().readTree(headerText);
        int dataStart = 8 + headerLength;
        List<String> expectedNames = new ArrayList<>();
        header.properties().forEach(e -> {
            if (!e.getKey().equals("__metadata__")) {
                expectedNames.add(e.getKey());
            }
        });
        try (SafeTensors st = SafeTensors.open(file)) {
            assertEquals(expectedNames, List.copyOf(st.names()), "names in file order");
            for (String name : expectedNames) {
                JsonNode entry = header.get(name);
                TensorInfo info = st.info(name);
                assertEquals(Dtype.F32, info.dtype());
                assertEquals(entry.get("dtype").textValue(), info.dtype().name());
                int[] shape = new int[entry.get("shape").size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = entry.get("shape").get(i).intValue();
                }
                assertArrayEquals(shape, info.shape(), name);
                long begin = entry.get("data_offsets").get(0).longValue();
                assertEquals(begin, info.dataBegin());
                assertEquals(entry.get("data_offsets").get(1).longValue(), info.dataEnd());

                Tensor t = st.read(name);
                assertArrayEquals(shape, t.shape());
                float[] expected = new float[t.size()];
                for (int i = 0; i < expected.length; i++) {
                    expected[i] = bytes.getFloat(dataStart + (int) begin + 4 * i);
                }
                assertArrayEquals(expected, t.data(), name);
            }
            Map<String, String> expectedMetadata = header.has("__metadata__") ? Map.of("format", "pt") : Map.of();
            assertEquals(expectedMetadata, st.metadata());
        }
    }

    /** Spot values computed with numpy from the fixture bytes. */
    @Test
    void llamaFixtureValues() {
        try (SafeTensors st = SafeTensors.open(TestFiles.resource("/fixtures/models/llama-tiny/model.safetensors"))) {
            assertEquals(21, st.names().size());
            Tensor lmHead = st.read("lm_head.weight");
            assertArrayEquals(new int[] {1000, 64}, lmHead.shape());
            assertEquals(0x1.c02b4p-4f, lmHead.get(0));
            assertEquals(-0x1.55139ep-6f, lmHead.get(1));
            assertEquals(0x1.a7ecfp-4f, lmHead.get(2));
            assertEquals(0x1.251eaep-4f, lmHead.get(lmHead.size() - 1));
            assertEquals(15.615517754133833, sum(lmHead), 1e-9);

            Tensor k = st.read("model.layers.1.self_attn.k_proj.weight");
            assertArrayEquals(new int[] {32, 64}, k.shape());
            assertEquals(0x1.dc591ep-3f, k.get(0));
            assertEquals(-0x1.8dde96p-8f, k.get(k.size() - 1));
            assertEquals(-1.877090704758757, sum(k), 1e-9);

            Tensor norm = st.read("model.norm.weight");
            assertEquals(64.0, sum(norm));
            assertEquals(new TensorInfo("lm_head.weight", Dtype.F32, new int[] {1000, 64}, 0, 256_000),
                    st.info("lm_head.weight"));
        }
    }

    @Test
    void gpt2FixtureValues() {
        try (SafeTensors st = SafeTensors.open(TestFiles.resource("/fixtures/models/gpt2-tiny/model.safetensors"))) {
            Tensor wte = st.read("transformer.wte.weight");
            assertEquals(-0.18352486193180084f, wte.get(0));
            assertEquals(0.10773911327123642f, wte.get(1));
            assertEquals(0.03557222709059715f, wte.get(wte.size() - 1));
            assertEquals(0f, st.read("transformer.h.0.attn.c_attn.bias").get(0));
        }
    }

    /** A file written by an independent numpy script (see make_mixed_dtypes.py) with every float dtype. */
    @Test
    void readsMixedDtypes() {
        try (SafeTensors st = SafeTensors.open(TestFiles.resource("/model-io/mixed-dtypes.safetensors"))) {
            assertEquals(List.of("a.f32", "e.scalar", "f.empty", "b.bf16", "c.f16"), List.copyOf(st.names()));
            assertEquals(Map.of("format", "pt"), st.metadata());

            Tensor a = st.read("a.f32");
            assertArrayEquals(new int[] {2, 3}, a.shape());
            assertArrayEquals(new float[] {1f, -2.5f, 3.14159f, 1e-8f, 65504f, -0f}, a.data());
            assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(a.get(5)));

            Tensor scalar = st.read("e.scalar");
            assertEquals(0, scalar.rank());
            assertArrayEquals(new float[] {42f}, scalar.data());

            Tensor empty = st.read("f.empty");
            assertArrayEquals(new int[] {0}, empty.shape());
            assertEquals(0, empty.size());

            TensorInfo bf16 = st.info("b.bf16");
            assertEquals(Dtype.BF16, bf16.dtype());
            assertEquals(8, bf16.byteSize());
            float[] b = st.read("b.bf16").data();
            assertEquals(1f, b[0]);
            assertEquals(3.140625f, b[1]);
            assertEquals(-2.5f, b[2]);
            assertTrue(Float.isNaN(b[3]));

            assertEquals(Dtype.F16, st.info("c.f16").dtype());
            Tensor c = st.read("c.f16");
            assertArrayEquals(new int[] {2, 2}, c.shape());
            assertArrayEquals(new float[] {1f, 3.140625f, 65504f, 0x1p-24f}, c.data());
        }
    }

    @Test
    void convertsLongHalfTensorsAcrossChunks(@TempDir Path dir) throws IOException {
        int n = 40_000;
        ByteBuffer data = ByteBuffer.allocate(2 * n).order(ByteOrder.LITTLE_ENDIAN);
        float[] expected = new float[n];
        for (int i = 0; i < n; i++) {
            short bits = (short) (i * 7919);
            data.putShort(bits);
            expected[i] = Float.float16ToFloat(bits);
        }
        Path file = TestFiles.safetensors(dir.resolve("long.safetensors"),
                "{\"x\":{\"dtype\":\"F16\",\"shape\":[200,200],\"data_offsets\":[0," + 2 * n + "]}}", data.array());
        try (SafeTensors st = SafeTensors.open(file)) {
            float[] actual = st.read("x").data();
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]), "index " + i);
            }
        }
    }

    @Test
    void unalignedDataRegionIsRead(@TempDir Path dir) throws IOException {
        String header = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        assertTrue(header.length() % 4 != 0);
        byte[] data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-7f).array();
        try (SafeTensors st = SafeTensors.open(TestFiles.safetensors(dir.resolve("u.safetensors"), header, data))) {
            assertArrayEquals(new float[] {1.5f, -7f}, st.read("x").data());
            assertEquals(Map.of(), st.metadata());
        }
    }

    /** Offsets past 2 GiB: a sparse file whose second tensor starts at byte 2^31 of the data region. */
    @Test
    void readsTensorsBeyondTwoGigabytes(@TempDir Path dir) throws IOException {
        long big = 1L << 31;
        String header = "{\"big\":{\"dtype\":\"F32\",\"shape\":[536870912],\"data_offsets\":[0," + big + "]},"
                + "\"tail\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[" + big + "," + (big + 4) + "]}}";
        Path file = TestFiles.safetensors(dir.resolve("sparse.safetensors"), header, new byte[0]);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(8 + header.length() + big);
            raf.write(new byte[] {(byte) 0x80, 0x3F, 0x20, (byte) 0xC0});
        }
        try (SafeTensors st = SafeTensors.open(file)) {
            assertEquals(big, st.info("big").byteSize());
            assertArrayEquals(new float[] {1f, -2.5f}, st.read("tail").data());
        }
    }

    @Test
    void nonFloatDtypeOpensButCannotBeRead(@TempDir Path dir) throws IOException {
        Path file = TestFiles.safetensors(dir.resolve("ids.safetensors"),
                "{\"position_ids\":{\"dtype\":\"I64\",\"shape\":[3],\"data_offsets\":[0,24]}}", new byte[24]);
        try (SafeTensors st = SafeTensors.open(file)) {
            assertEquals(Dtype.I64, st.info("position_ids").dtype());
            CheckpointException e = assertThrows(CheckpointException.class, () -> st.read("position_ids"));
            assertEquals(file + ": tensor 'position_ids' has dtype I64, which cannot be read as float32"
                    + " (supported: F32, BF16, F16)", e.getMessage());
        }
    }

    @Test
    void missingTensorIsNamed() {
        Path file = TestFiles.resource("/fixtures/models/qwen3-tiny/model.safetensors");
        try (SafeTensors st = SafeTensors.open(file)) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> st.read("lm_head.weight"));
            assertEquals(file + ": no tensor 'lm_head.weight'", e.getMessage());
            assertThrows(CheckpointException.class, () -> st.info("nope"));
        }
    }

    @Test
    void readAfterCloseFails() {
        Path file = TestFiles.resource("/fixtures/models/qwen3-tiny/model.safetensors");
        SafeTensors st = SafeTensors.open(file);
        st.close();
        st.close();
        CheckpointException e =
                assertThrows(CheckpointException.class, () -> st.read("model.embed_tokens.weight"));
        assertTrue(e.getMessage().endsWith("file is closed"), e.getMessage());
    }

    private static double sum(Tensor t) {
        double s = 0;
        for (float v : t.data()) {
            s += v;
        }
        return s;
    }
}
