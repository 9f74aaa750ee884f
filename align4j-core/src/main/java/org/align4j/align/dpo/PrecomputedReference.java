package org.align4j.align.dpo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.InputException;
import org.align4j.autograd.Var;
import org.align4j.data.PreferencePair;
import org.align4j.data.TokenizedSequence;
import org.align4j.model.CausalLM;

/**
 * Reference log-probabilities computed once, before training, in one inference pass over a dataset: TRL's
 * {@code precompute_ref_log_probs}. During training the reference model need not be in memory at all.
 *
 * <p>{@link #loadOrCompute} also keeps them on disk, in {@code ref_logps-<key>.json} in the given folder, where the
 * key is a SHA-256 of everything the values depend on: the reference model's weights (names, shapes and values),
 * every pair's token ids and completion masks, and {@code ld_alpha}. A later run over the same data with the same
 * reference finds the file and reads it instead of running the reference again; any change gives another key.
 *
 * <p>Values are looked up by pair identity: the pairs given to a training step must be the instances this was
 * computed for.
 */
public final class PrecomputedReference implements ReferenceLogProbs {
    /** The cache file name prefix. */
    public static final String FILE_PREFIX = "ref_logps-";
    private static final String FORMAT = "align4j ref_logps 1";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<PreferencePair, double[]> values;

    private PrecomputedReference(Map<PreferencePair, double[]> values) {
        this.values = values;
    }

    /**
     * The reference log-probabilities of {@code pairs} from {@code source}, in batches of {@code batchSize} pairs
     * (TRL's {@code precompute_ref_batch_size}), reduced as {@code config} asks ({@code ld_alpha}).
     */
    public static PrecomputedReference compute(List<PreferencePair> pairs, ReferenceLogProbs source,
                                               DpoLossConfig config, int batchSize, int padId) {
        if (batchSize <= 0) {
            throw new InputException("precompute_ref_batch_size must be > 0, got " + batchSize);
        }
        double[] chosen = new double[pairs.size()];
        double[] rejected = new double[pairs.size()];
        for (int from = 0; from < pairs.size(); from += batchSize) {
            List<PreferencePair> part = pairs.subList(from, Math.min(pairs.size(), from + batchSize));
            PreferenceBatch batch = PreferenceBatch.of(part, padId);
            PreferenceBatch.SequenceLogps logps = source.logps(batch, batch.reduction(config));
            System.arraycopy(logps.chosen(), 0, chosen, from, part.size());
            System.arraycopy(logps.rejected(), 0, rejected, from, part.size());
        }
        return of(pairs, chosen, rejected);
    }

    private static PrecomputedReference of(List<PreferencePair> pairs, double[] chosen, double[] rejected) {
        Map<PreferencePair, double[]> values = new IdentityHashMap<>();
        for (int i = 0; i < pairs.size(); i++) {
            values.put(pairs.get(i), new double[] {chosen[i], rejected[i]});
        }
        return new PrecomputedReference(values);
    }

    /**
     * The precomputed reference and where it came from.
     *
     * @param reference the values
     * @param file      the cache file
     * @param fromCache whether the file was read (true) or the values computed and written (false)
     */
    public record Loaded(PrecomputedReference reference, Path file, boolean fromCache) {
    }

    /**
     * Reads the cache file for these pairs and this reference model from {@code directory}, or computes the values
     * with {@code referenceModel} and writes the file (atomically). An unreadable or inconsistent cache file is
     * recomputed and replaced.
     */
    public static Loaded loadOrCompute(Path directory, List<PreferencePair> pairs, CausalLM referenceModel,
                                       DpoLossConfig config, int batchSize, int padId) {
        String key = cacheKey(pairs, referenceModel, config);
        Path file = file(directory, key);
        PrecomputedReference cached = read(file, key, pairs);
        if (cached != null) {
            return new Loaded(cached, file, true);
        }
        PrecomputedReference computed = compute(pairs, new ModelReference(referenceModel), config, batchSize, padId);
        computed.write(file, key, pairs);
        return new Loaded(computed, file, false);
    }

    /**
     * Writes the cache file {@link #loadOrCompute} reads for these pairs and this reference model, holding values
     * computed elsewhere (e.g. by {@code align4j-spark precompute-ref} on a cluster): {@code chosen[i]} and
     * {@code rejected[i]} are pair i's. Returns the file.
     */
    public static Path write(Path directory, List<PreferencePair> pairs, CausalLM referenceModel, DpoLossConfig config,
                             double[] chosen, double[] rejected) {
        if (chosen.length != pairs.size() || rejected.length != pairs.size()) {
            throw new IllegalArgumentException(pairs.size() + " pairs but " + chosen.length + " and "
                    + rejected.length + " values");
        }
        String key = cacheKey(pairs, referenceModel, config);
        Path file = file(directory, key);
        of(pairs, chosen, rejected).write(file, key, pairs);
        return file;
    }

    /** Pair {@code pair}'s reference log-probabilities: {chosen, rejected}. */
    public double[] values(PreferencePair pair) {
        double[] v = values.get(pair);
        if (v == null) {
            throw new IllegalArgumentException(pair.source() + ": not a pair these values were computed for");
        }
        return v.clone();
    }

    private static Path file(Path directory, String key) {
        return directory.resolve(FILE_PREFIX + key.substring(0, 16) + ".json");
    }

    /** The values of this and of {@code other} together (e.g. the training and the evaluation set). */
    public PrecomputedReference and(PrecomputedReference other) {
        Map<PreferencePair, double[]> all = new IdentityHashMap<>(values);
        all.putAll(other.values);
        return new PrecomputedReference(all);
    }

    @Override
    public PreferenceBatch.SequenceLogps logps(PreferenceBatch batch, CompletionLogpReduction reduction) {
        int n = batch.size();
        double[] chosen = new double[n];
        double[] rejected = new double[n];
        for (int i = 0; i < n; i++) {
            PreferencePair pair = batch.pairs().get(i);
            double[] v = values.get(pair);
            if (v == null) {
                throw new IllegalStateException(pair.source() + ": no precomputed reference log-probabilities for "
                        + "this pair (precomputed for another dataset)");
            }
            chosen[i] = v[0];
            rejected[i] = v[1];
        }
        return new PreferenceBatch.SequenceLogps(chosen, rejected);
    }

    private static PrecomputedReference read(Path file, String key, List<PreferencePair> pairs) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            JsonNode node = JSON.readTree(file.toFile());
            JsonNode chosen = node.path("ref_chosen_logps");
            JsonNode rejected = node.path("ref_rejected_logps");
            if (!FORMAT.equals(node.path("format").asText()) || !key.equals(node.path("sha256").asText())
                    || chosen.size() != pairs.size() || rejected.size() != pairs.size()) {
                return null;
            }
            double[] c = new double[pairs.size()];
            double[] r = new double[pairs.size()];
            for (int i = 0; i < c.length; i++) {
                if (!chosen.get(i).isNumber() || !rejected.get(i).isNumber()) {
                    return null;
                }
                c[i] = chosen.get(i).asDouble();
                r[i] = rejected.get(i).asDouble();
            }
            return of(pairs, c, r);
        } catch (IOException e) {
            return null;
        }
    }

    private void write(Path file, String key, List<PreferencePair> pairs) {
        ObjectNode node = JSON.createObjectNode();
        node.put("format", FORMAT);
        node.put("sha256", key);
        node.put("num_examples", pairs.size());
        ArrayNode chosen = node.putArray("ref_chosen_logps");
        ArrayNode rejected = node.putArray("ref_rejected_logps");
        for (PreferencePair pair : pairs) {
            double[] v = values.get(pair);
            chosen.add(v[0]);
            rejected.add(v[1]);
        }
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(file.getParent());
            JSON.writeValue(temporary.toFile(), node);
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write the reference log-probabilities: " + e.getMessage(),
                    e);
        }
    }

    /** SHA-256 (hex) of the reference weights, the tokenized pairs and {@code ld_alpha}. */
    static String cacheKey(List<PreferencePair> pairs, CausalLM referenceModel, DpoLossConfig config) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        sha.update(FORMAT.getBytes(StandardCharsets.UTF_8));
        sha.update(("ld_alpha=" + (config.ldAlpha() != null ? config.ldAlpha() : "none"))
                .getBytes(StandardCharsets.UTF_8));
        ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
        for (Map.Entry<String, Var> e : referenceModel.parameters().entrySet()) {
            sha.update(e.getKey().getBytes(StandardCharsets.UTF_8));
            for (int d : e.getValue().value().shape()) {
                putInt(sha, buffer, d);
            }
            flush(sha, buffer);
            float[] data = e.getValue().value().data();
            int chunk = buffer.capacity() / Float.BYTES;
            for (int from = 0; from < data.length; from += chunk) {
                int length = Math.min(chunk, data.length - from);
                buffer.asFloatBuffer().put(data, from, length);
                buffer.position(length * Float.BYTES);
                flush(sha, buffer);
            }
        }
        for (PreferencePair pair : pairs) {
            for (TokenizedSequence s : List.of(pair.chosen(), pair.rejected())) {
                putInt(sha, buffer, s.length());
                for (int t = 0; t < s.length(); t++) {
                    putInt(sha, buffer, s.lossMask()[t] ? -1 - s.ids()[t] : s.ids()[t]);
                }
            }
        }
        flush(sha, buffer);
        return HexFormat.of().formatHex(sha.digest());
    }

    private static void putInt(MessageDigest sha, ByteBuffer buffer, int value) {
        if (buffer.remaining() < Integer.BYTES) {
            flush(sha, buffer);
        }
        buffer.putInt(value);
    }

    private static void flush(MessageDigest sha, ByteBuffer buffer) {
        buffer.flip();
        sha.update(buffer);
        buffer.clear();
    }
}
