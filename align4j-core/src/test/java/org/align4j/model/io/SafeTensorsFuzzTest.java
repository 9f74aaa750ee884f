package org.align4j.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.align4j.ByteSplice;
import org.align4j.tensor.BFloat16;
import org.align4j.tensor.Tensor;

/**
 * Mutated safetensors headers (10,000 per run): each is rejected by a one-line {@link CheckpointException} naming the
 * file, or opens with tensors that cover the data region exactly and read as their bytes say; a mutation that leaves
 * the header's meaning unchanged loads the original tensors. No other exception, no silent shift of values.
 */
class SafeTensorsFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String JSON_BYTES = "{}[],:\"0123456789-.eE tfnul\\";
    private static Path dir;
    private static List<byte[]> bases;

    @BeforeContainer
    static void bases() throws IOException {
        dir = Files.createTempDirectory("safetensors-fuzz");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("a.weight", Tensor.of(new float[] {1f, -2f, 3.5f, 0f, 1e-3f, 7f}, 2, 3));
        tensors.put("b.bias", Tensor.of(new float[] {0.25f, -0.5f}, 2));
        tensors.put("c.scalar", Tensor.of(new float[] {42f}));
        tensors.put("d.empty", Tensor.zeros(0));
        Path written = dir.resolve("base.safetensors");
        Map<String, SafeTensorsWriter.Entry> entries = new LinkedHashMap<>(SafeTensorsWriter.entries(tensors,
                Dtype.F32));
        entries.putAll(SafeTensorsWriter.entries(Map.of("e.half", Tensor.of(new float[] {1f, 2f, 3f}, 3)),
                Dtype.BF16));
        SafeTensorsWriter.write(written, entries, Map.of("format", "pt"));
        bases = List.of(Files.readAllBytes(written),
                Files.readAllBytes(TestFiles.resource("/model-io/mixed-dtypes.safetensors")));
    }

    @AfterContainer
    static void removeFiles() throws IOException {
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    /** A base file and a seed for the mutations applied to its length field and header. */
    record Case(int base, long seed, int mutations) {
    }

    @Provide
    Arbitrary<Case> cases() {
        return net.jqwik.api.Combinators.combine(Arbitraries.integers().between(0, 1), Arbitraries.longs(),
                Arbitraries.integers().between(1, 3)).as(Case::new);
    }

    @Property(tries = 10_000)
    void mutatedHeaderIsRejectedInOneLineOrReadsExactly(@ForAll("cases") Case c) throws IOException {
        Statistics.coverage(check -> {
            check.check("rejected").percentage(p -> p > 50);
            check.check("opened, same meaning").count(n -> n > 0);
            check.check("opened, another meaning").count(n -> n > 0);
        });
        byte[] original = bases.get(c.base());
        byte[] mutated = original.clone();
        Random random = new Random(c.seed());
        for (int i = 0; i < c.mutations(); i++) {
            mutated = mutate(mutated, random);
        }
        Path file = Files.write(dir.resolve("case.safetensors"), mutated);
        SafeTensors opened;
        try {
            opened = SafeTensors.open(file);
        } catch (CheckpointException e) {
            assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
            assertEquals(-1, e.getMessage().indexOf('\n'), e.getMessage());
            Statistics.collect("rejected");
            return;
        }
        try (SafeTensors st = opened) {
            long headerLength = ByteBuffer.wrap(mutated).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            long dataStart = Long.BYTES + headerLength;
            assertCoversDataRegion(st, mutated.length - dataStart);
            for (String name : st.names()) {
                TensorInfo info = st.info(name);
                if (info.dtype().isFloatConvertible()) {
                    assertArrayEquals(decode(mutated, dataStart, info), st.read(name).data(), name);
                }
            }
            boolean same = sameMeaning(original, mutated);
            Statistics.collect(same ? "opened, same meaning" : "opened, another meaning");
            if (same) {
                try (SafeTensors before = SafeTensors.open(Files.write(dir.resolve("base.safetensors"), original))) {
                    assertEquals(before.names(), st.names());
                    for (String name : before.names()) {
                        if (before.info(name).dtype().isFloatConvertible()) {
                            assertArrayEquals(before.read(name).data(), st.read(name).data(), name);
                        }
                    }
                }
            }
        }
    }

    /** The tensors' byte ranges, in order, tile {@code [0, dataSize)}: no hole, no overlap, nothing after. */
    private static void assertCoversDataRegion(SafeTensors st, long dataSize) {
        long covered = 0;
        List<TensorInfo> infos = new ArrayList<>();
        st.names().forEach(n -> infos.add(st.info(n)));
        infos.sort(java.util.Comparator.comparingLong(TensorInfo::dataBegin).thenComparingLong(TensorInfo::dataEnd));
        for (TensorInfo t : infos) {
            assertEquals(covered, t.dataBegin(), t.name());
            covered = t.dataEnd();
        }
        assertEquals(dataSize, covered);
    }

    /** The tensor's values decoded from the file's bytes here, independently of the reader. */
    private static float[] decode(byte[] file, long dataStart, TensorInfo info) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) info.elementCount();
        float[] values = new float[n];
        int at = (int) (dataStart + info.dataBegin());
        for (int i = 0; i < n; i++) {
            values[i] = switch (info.dtype()) {
                case F32 -> b.getFloat(at + 4 * i);
                case BF16 -> BFloat16.toFloat(b.getShort(at + 2 * i));
                case F16 -> Float.float16ToFloat(b.getShort(at + 2 * i));
                default -> throw new AssertionError(info.dtype());
            };
        }
        return values;
    }

    /** Whether both files have the same length field and data, and headers that are the same JSON value. */
    private static boolean sameMeaning(byte[] original, byte[] mutated) {
        if (mutated.length != original.length) {
            return false;
        }
        long length = ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        if (mutated.length != original.length || ByteBuffer.wrap(mutated).order(ByteOrder.LITTLE_ENDIAN)
                .getLong(0) != length) {
            return false;
        }
        int end = (int) (Long.BYTES + length);
        if (!Arrays.equals(original, end, original.length, mutated, end, mutated.length)) {
            return false;
        }
        try {
            JsonNode a = JSON.readTree(new String(original, Long.BYTES, (int) length, StandardCharsets.UTF_8));
            JsonNode b = JSON.readTree(new String(mutated, Long.BYTES, (int) length, StandardCharsets.UTF_8));
            return a.equals(b);
        } catch (IOException e) {
            return false;
        }
    }

    /** One random change to the length field, the header text or the file's length. */
    private static byte[] mutate(byte[] file, Random random) {
        if (file.length < Long.BYTES) {
            return Arrays.copyOf(file, file.length + random.nextInt(Long.BYTES + 1));
        }
        int headerEnd = (int) Math.min(file.length, Long.BYTES + Math.max(0,
                ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0)));
        int span = Math.max(1, headerEnd);
        byte[] out = file.clone();
        switch (random.nextInt(9)) {
            case 0 -> out[random.nextInt(span)] ^= (byte) (1 << random.nextInt(8));
            case 1 -> out[(Long.BYTES + random.nextInt(Math.max(1, span - Long.BYTES))) % out.length] =
                    (byte) JSON_BYTES.charAt(random.nextInt(JSON_BYTES.length()));
            case 2 -> {
                ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
                b.putLong(0, b.getLong(0) + random.nextInt(33) - 16);
            }
            case 3 -> out = Arrays.copyOf(out, random.nextInt(out.length + 1));
            case 4 -> out = Arrays.copyOf(out, out.length + 1 + random.nextInt(8));
            case 5 -> out = ByteSplice.of(out, Long.BYTES + random.nextInt(Math.max(1, span - Long.BYTES)),
                    random.nextInt(3), randomText(random, random.nextInt(4)));
            case 6 -> out = replaceNumber(out, span, random);
            case 7 -> out[random.nextInt(span)] = (byte) random.nextInt(256);
            default -> ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(0, random.nextLong());
        }
        return out;
    }

    private static byte[] randomText(Random random, int n) {
        byte[] bytes = new byte[n];
        for (int i = 0; i < n; i++) {
            bytes[i] = (byte) JSON_BYTES.charAt(random.nextInt(JSON_BYTES.length()));
        }
        return bytes;
    }

    /** Replaces a number of the header text with another: nearby, zero, negative, huge or fractional. */
    private static byte[] replaceNumber(byte[] file, int headerEnd, Random random) {
        List<int[]> numbers = new ArrayList<>();
        for (int i = Long.BYTES; i < headerEnd; i++) {
            if (Character.isDigit(file[i])) {
                int start = i;
                while (i < headerEnd && Character.isDigit(file[i])) {
                    i++;
                }
                numbers.add(new int[] {start, i});
            }
        }
        if (numbers.isEmpty()) {
            return file;
        }
        int[] n = numbers.get(random.nextInt(numbers.size()));
        long value = Long.parseLong(new String(file, n[0], Math.min(18, n[1] - n[0]), StandardCharsets.US_ASCII));
        String[] choices = {Long.toString(value + 1), Long.toString(Math.max(0, value - 1)), "0", "-" + value,
            "9223372036854775807", "18446744073709551616", value + ".0", "2147483648", Long.toString(value * 2)};
        byte[] replacement = choices[random.nextInt(choices.length)].getBytes(StandardCharsets.US_ASCII);
        byte[] out = ByteSplice.of(file, n[0], n[1] - n[0], replacement);
        if (random.nextBoolean() && out.length >= Long.BYTES) {
            ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(0, b.getLong(0) + replacement.length - (n[1] - n[0]));
        }
        return out;
    }
}
