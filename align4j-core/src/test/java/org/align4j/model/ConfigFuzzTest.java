package org.align4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;
import org.align4j.InputException;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.tensor.Tensor;

/**
 * Mutated {@code config.json} files (1,000 per run) beside real checkpoints: each is refused by a one-line error
 * naming the config or checkpoint file, or loads a model whose logits are finite. Values are swapped for hostile
 * ones (zero, negative, 2^31, 1e308, strings, nulls, containers) or removed.
 */
class ConfigFuzzTest {
    private static final List<String> FIXTURES = List.of("llama-tiny", "gpt2-tiny", "qwen3-tiny", "qwen2-tiny");
    private static final String[] VALUES = {"-1", "0", "1", "2", "3", "7", "1000000", "2147483647", "2147483648",
        "1e-12", "1e308", "-0.5", "0.5", "\"abc\"", "null", "true", "[]", "{}", "\"bfloat16\"", "\"float64\"",
        "[1, 2]", "-2147483648"};
    private static final String[] EXTRA_FIELDS = {"head_dim", "rope_scaling", "rope_parameters", "pad_token_id",
        "bos_token_id", "eos_token_id", "tie_word_embeddings", "max_position_embeddings", "sliding_window",
        "torch_dtype", "dtype", "hidden_act", "rope_theta"};
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path dir;

    @BeforeContainer
    static void folder() throws IOException {
        dir = Files.createTempDirectory("config-fuzz");
    }

    @AfterContainer
    static void removeFolder() throws IOException {
        for (String name : FIXTURES) {
            Path model = dir.resolve(name);
            Files.deleteIfExists(model.resolve("config.json"));
            Files.deleteIfExists(model.resolve("model.safetensors"));
            Files.deleteIfExists(model);
        }
        Files.delete(dir);
    }

    record Case(int fixture, long seed, int mutations) {
    }

    @Provide
    Arbitrary<Case> cases() {
        return Combinators.combine(Arbitraries.integers().between(0, FIXTURES.size() - 1), Arbitraries.longs(),
                Arbitraries.integers().between(1, 2)).as(Case::new);
    }

    @Property(tries = 1_000)
    void mutatedConfigIsRefusedInOneLineOrLoadsAWorkingModel(@ForAll("cases") Case c) throws IOException {
        Statistics.coverage(check -> {
            check.check("refused").percentage(p -> p > 20);
            check.check("loaded").count(n -> n > 0);
        });
        Fixture fixture = Fixture.load(FIXTURES.get(c.fixture()));
        Path model = dir.resolve(FIXTURES.get(c.fixture()));
        if (!Files.exists(model.resolve("model.safetensors"))) {
            Files.createDirectories(model);
            Files.createSymbolicLink(model.resolve("model.safetensors"), fixture.dir().resolve("model.safetensors"));
        }
        ObjectNode config = (ObjectNode) JSON.readTree(fixture.dir().resolve("config.json").toFile());
        Random random = new Random(c.seed());
        for (int i = 0; i < c.mutations(); i++) {
            mutate(config, random);
        }
        Files.writeString(model.resolve("config.json"), config.toString());
        CausalLM loaded;
        try {
            loaded = HfModels.load(model);
        } catch (InputException e) {
            assertTrue(e.getMessage().startsWith(model.resolve("config.json") + ":")
                    || e.getMessage().startsWith(model.resolve("model.safetensors") + ":"), e.getMessage());
            assertEquals(-1, e.getMessage().indexOf('\n'), e.getMessage());
            Statistics.collect("refused");
            return;
        }
        int vocab = loaded.config().vocabSize();
        int[] ids = {0, 1 % vocab, 2 % vocab};
        Tensor logits = Ops.logits(loaded.hiddenStates(Tape.inference(), ModelInput.of(new int[][] {ids},
                new int[][] {{1, 1, 1}})), loaded.lmHead());
        for (float v : logits.data()) {
            assertTrue(Float.isFinite(v), "logit " + v + " with " + config);
        }
        Statistics.collect("loaded");
    }

    /** Replaces a field (one the config has, or a known optional one) by a hostile value, or removes it. */
    private static void mutate(ObjectNode config, Random random) throws IOException {
        List<String> fields = new ArrayList<>();
        config.fieldNames().forEachRemaining(fields::add);
        fields.addAll(List.of(EXTRA_FIELDS));
        String field = fields.get(random.nextInt(fields.size()));
        if (random.nextInt(8) == 0) {
            config.remove(field);
            return;
        }
        JsonNode value = JSON.readTree(VALUES[random.nextInt(VALUES.length)]);
        config.set(field, value);
    }
}
