package org.align4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import org.align4j.model.io.SafeTensors;
import org.align4j.tensor.Tensor;

/** One golden fixture model (see src/test/resources/fixtures/README.md): checkpoint, golden.json, golden tensors. */
public record Fixture(String name, Path dir, JsonNode golden) {
    /** The five fixture models. */
    public static final List<String> NAMES = List.of("gpt2-tiny", "llama-tiny", "llama3rope-tiny", "qwen2-tiny", "qwen3-tiny");

    /** Loads fixture {@code name} from the test resources. */
    public static Fixture load(String name) {
        try {
            Path dir = Path.of(Fixture.class.getResource("/fixtures/models/" + name).toURI());
            return new Fixture(name, dir, new ObjectMapper().readTree(dir.resolve("golden.json").toFile()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A tensor of golden.safetensors. */
    public Tensor goldenTensor(String tensorName) {
        try (SafeTensors st = SafeTensors.open(dir.resolve("golden.safetensors"))) {
            return st.read(tensorName);
        }
    }

    /** The golden LM batch. */
    public ModelInput lmBatch() {
        return ModelInput.of(intRows(golden.get("input_ids")), intRows(golden.get("attention_mask")));
    }

    /** A JSON array of int arrays as int[][]. */
    public static int[][] intRows(JsonNode rows) {
        int[][] out = new int[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = ints(rows.get(i));
        }
        return out;
    }

    /** A JSON int array. */
    public static int[] ints(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get(i).asInt();
        }
        return out;
    }

    /** A JSON number array. */
    public static double[] doubles(JsonNode arr) {
        double[] out = new double[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get(i).asDouble();
        }
        return out;
    }
}
