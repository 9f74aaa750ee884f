package org.align4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.align4j.InputException;

/**
 * How {@link Generator} continues prompts: the fields of transformers' {@code GenerationConfig} that it supports,
 * with the same meanings and defaults, plus the sampling seed. Serializable, so that a Spark job can ship it to its
 * executors.
 *
 * @param maxNewTokens {@code max_new_tokens}: tokens to generate at most per row (default 20)
 * @param doSample     {@code do_sample}: sample from the processed distribution; false picks the most likely token
 * @param temperature  {@code temperature}: logits are divided by it before sampling (default 1.0)
 * @param topK         {@code top_k}: sample among the k most likely tokens (ties with the k-th kept); 0 disables
 *                     (default 50, as in transformers)
 * @param topP         {@code top_p}: nucleus sampling, keep the most likely tokens until their probability reaches
 *                     top_p (at least one); 1.0 disables (default)
 * @param eosTokenIds  {@code eos_token_id}: a row stops after generating any of these (empty: runs to maxNewTokens)
 * @param padTokenId   {@code pad_token_id}: fills the rows that stopped early; null means the first eos id, as in
 *                     transformers
 * @param seed         seed of the sampling streams (one per row, split in row order)
 * @param repetitionPenalty  {@code repetition_penalty} (CTRL, Keskar et al. 2019): before sampling or picking, the
 *                           logit of every token already in the row (prompt included) is divided by it when
 *                           positive and multiplied by it when negative; 1.0 disables (default)
 * @param numReturnSequences {@code num_return_sequences}: continuations per prompt, in prompt order (default 1;
 *                           more needs sampling, as in transformers without beam search)
 */
public record GenerationConfig(int maxNewTokens, boolean doSample, double temperature, int topK, double topP,
                               List<Integer> eosTokenIds, Integer padTokenId, long seed, double repetitionPenalty,
                               int numReturnSequences) implements Serializable {
    /** transformers' default {@code top_k}. */
    public static final int DEFAULT_TOP_K = 50;
    /** The default {@code max_new_tokens} (transformers' default max_length of 20, counted as new tokens). */
    public static final int DEFAULT_MAX_NEW_TOKENS = 20;

    /** Validates the fields as transformers does, with a message naming the field. */
    public GenerationConfig {
        if (maxNewTokens <= 0) {
            throw new InputException("max_new_tokens must be positive, got " + maxNewTokens);
        }
        if (doSample && !(temperature > 0 && Double.isFinite(temperature))) {
            throw new InputException("temperature must be a positive number for sampling, got "
                    + temperature);
        }
        if (topK < 0) {
            throw new InputException("top_k must be >= 0, got " + topK);
        }
        if (!(topP >= 0 && topP <= 1)) {
            throw new InputException("top_p must be in [0, 1], got " + topP);
        }
        eosTokenIds = List.copyOf(eosTokenIds);
        if (!(repetitionPenalty > 0) || !Double.isFinite(repetitionPenalty)) {
            throw new InputException("repetition_penalty must be a positive number, got " + repetitionPenalty);
        }
        if (numReturnSequences <= 0) {
            throw new InputException("num_return_sequences must be positive, got " + numReturnSequences);
        }
        if (numReturnSequences > 1 && !doSample) {
            throw new InputException("num_return_sequences " + numReturnSequences + " needs do_sample: greedy"
                    + " decoding without beam search gives one continuation per prompt");
        }
    }

    /** A config without repetition penalty, one continuation per prompt. */
    public GenerationConfig(int maxNewTokens, boolean doSample, double temperature, int topK, double topP,
                            List<Integer> eosTokenIds, Integer padTokenId, long seed) {
        this(maxNewTokens, doSample, temperature, topK, topP, eosTokenIds, padTokenId, seed, 1.0, 1);
    }

    /** Greedy decoding of up to {@code maxNewTokens} tokens, no eos. */
    public static GenerationConfig greedy(int maxNewTokens) {
        return new GenerationConfig(maxNewTokens, false, 1.0, DEFAULT_TOP_K, 1.0, List.of(), null, 0);
    }

    /**
     * The generation config of the model in {@code modelDir}: its generation_config.json, or when there is none the
     * same fields of its config.json (as transformers' {@code GenerationConfig.from_model_config}).
     */
    public static GenerationConfig load(Path modelDir, ModelConfig config) {
        ObjectNode json = HfModels.readGenerationConfig(modelDir);
        if (json == null) {
            return fromJson(config.json(), modelDir.resolve("config.json").toString());
        }
        return fromJson(json, modelDir.resolve("generation_config.json").toString());
    }

    /**
     * Reads the supported fields of a generation_config.json object (absent or null fields take their defaults);
     * an invalid field is a {@link ModelException} naming {@code source} and the field.
     */
    public static GenerationConfig fromJson(ObjectNode json, String source) {
        try {
            return new GenerationConfig(
                    integer(json, "max_new_tokens", DEFAULT_MAX_NEW_TOKENS, source),
                    ModelConfig.bool(json, "do_sample", false, source),
                    ModelConfig.number(json, "temperature", 1.0, source),
                    integer(json, "top_k", DEFAULT_TOP_K, source),
                    ModelConfig.number(json, "top_p", 1.0, source),
                    tokenIds(json, "eos_token_id", source),
                    json.hasNonNull("pad_token_id") ? integer(json, "pad_token_id", 0, source) : null,
                    0, ModelConfig.number(json, "repetition_penalty", 1.0, source),
                    Math.max(1, integer(json, "num_return_sequences", 1, source)));
        } catch (ModelException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new ModelException(source + ": " + e.getMessage());
        }
    }

    /** This config with another {@code max_new_tokens}. */
    public GenerationConfig withMaxNewTokens(int n) {
        return new GenerationConfig(n, doSample, temperature, topK, topP, eosTokenIds, padTokenId, seed,
                repetitionPenalty, numReturnSequences);
    }

    /** This config sampling with the given temperature, top_k and top_p. */
    public GenerationConfig withSampling(double temperature, int topK, double topP) {
        return new GenerationConfig(maxNewTokens, true, temperature, topK, topP, eosTokenIds, padTokenId, seed,
                repetitionPenalty, numReturnSequences);
    }

    /** This config stopping at {@code eosTokenIds} and padding with {@code padTokenId} (null: the first eos id). */
    public GenerationConfig withEos(List<Integer> eosTokenIds, Integer padTokenId) {
        return new GenerationConfig(maxNewTokens, doSample, temperature, topK, topP, eosTokenIds, padTokenId, seed,
                repetitionPenalty, numReturnSequences);
    }

    /** This config with another sampling seed. */
    public GenerationConfig withSeed(long seed) {
        return new GenerationConfig(maxNewTokens, doSample, temperature, topK, topP, eosTokenIds, padTokenId, seed,
                repetitionPenalty, numReturnSequences);
    }

    /** The id that fills rows after their eos: pad_token_id, else the first eos id (-1 when neither is set). */
    int fillTokenId() {
        if (padTokenId != null) {
            return padTokenId;
        }
        return eosTokenIds.isEmpty() ? -1 : eosTokenIds.get(0);
    }

    private static int integer(JsonNode json, String field, int dflt, String source) {
        JsonNode n = json.get(field);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < 0) {
            throw new ModelException(source + ": field '" + field + "' must be a non-negative integer, got " + n);
        }
        return n.asInt();
    }

    /** An id or a list of ids (empty when absent or null). */
    private static List<Integer> tokenIds(JsonNode json, String field, String source) {
        JsonNode n = json.get(field);
        if (n == null || n.isNull()) {
            return List.of();
        }
        if (!n.isArray()) {
            return List.of(integer(json, field, 0, source));
        }
        List<Integer> ids = new ArrayList<>();
        for (JsonNode id : n) {
            if (!id.isIntegralNumber() || !id.canConvertToInt() || id.asInt() < 0) {
                throw new ModelException(source + ": field '" + field + "' must hold non-negative integers, got " + n);
            }
            ids.add(id.asInt());
        }
        return ids;
    }
}
