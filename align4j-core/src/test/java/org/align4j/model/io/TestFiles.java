package org.align4j.model.io;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Test resources and hand-built safetensors files. */
final class TestFiles {
    private TestFiles() {
    }

    static Path resource(String name) {
        try {
            return Path.of(TestFiles.class.getResource(name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every {@code .safetensors} file under the model fixtures (models, reference models, golden outputs). */
    static List<Path> fixtureSafetensors() throws IOException {
        try (Stream<Path> walk = Files.walk(resource("/fixtures/models"))) {
            return walk.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
        }
    }

    /** A file made of the given 8-byte header length, header text and data bytes, written as is. */
    static Path raw(Path file, long headerLength, String header, byte[] data) throws IOException {
        return raw(file, headerLength, header.getBytes(StandardCharsets.UTF_8), data);
    }

    /** As {@link #raw(Path, long, String, byte[])} with the header's bytes as given (any encoding). */
    static Path raw(Path file, long headerLength, byte[] headerBytes, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + headerBytes.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLength).put(headerBytes).put(data);
        return Files.write(file, b.array());
    }

    /** A well-formed file: correct header length for {@code header}, then {@code data}. */
    static Path safetensors(Path file, String header, byte[] data) throws IOException {
        return raw(file, header.getBytes(StandardCharsets.UTF_8).length, header, data);
    }
}
