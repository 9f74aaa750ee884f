package org.align4j.align.dice;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/**
 * One response DICE sampled from the policy for a prompt (Chen et al. 2025, Algorithm 1, line "sample K responses"),
 * with its implicit-reward score once scored.
 * Serializable, so that a Spark job can ship it to its executors and back.
 *
 * @param prompt      index of the prompt
 * @param sample      index of the response among the prompt's K
 * @param responseIds the generated ids, the final eos included when the response ended
 * @param response    the decoded response without its eos, or null when there is no tokenizer
 * @param ended       whether the response ended with an eos within {@code max_new_tokens} (a cut one is never used)
 * @param policyLogps log π_k(y | x), summed over the response tokens (NaN before scoring or for a cut response)
 * @param refLogps    log π_ref(y | x) likewise
 */
public record DiceSample(int prompt, int sample, int[] responseIds, String response, boolean ended, double policyLogps,
                         double refLogps)
        implements Serializable {

    /** Copies the ids. */
    public DiceSample {
        responseIds = responseIds.clone();
    }

    /**
     * The unscored, undecoded sample of generated {@code ids}: it ended when its last id is one of
     * {@code eosTokenIds}.
     */
    public static DiceSample generated(int prompt, int sample, int[] ids, List<Integer> eosTokenIds) {
        boolean ended = ids.length > 0 && eosTokenIds.contains(ids[ids.length - 1]);
        return new DiceSample(prompt, sample, ids, null, ended, Double.NaN, Double.NaN);
    }

    /** This sample with its decoded text (of {@link #contentIds()}). */
    public DiceSample withResponse(String text) {
        return new DiceSample(prompt, sample, responseIds, text, ended, policyLogps, refLogps);
    }

    /** The ids without the final eos. */
    public int[] contentIds() {
        return ended ? Arrays.copyOf(responseIds, responseIds.length - 1) : responseIds.clone();
    }

    /** Whether {@code other} says the same: the same decoded text, or the same ids when there is no text. */
    public boolean sameContent(DiceSample other) {
        return response != null && other.response != null ? response.equals(other.response)
                : Arrays.equals(responseIds, other.responseIds);
    }

    /** This sample with its log-probabilities. */
    public DiceSample withScores(double policy, double reference) {
        return new DiceSample(prompt, sample, responseIds, response, ended, policy, reference);
    }

    /** The implicit reward s = log π_k(y | x) − log π_ref(y | x) (without β: β only scales the α sweep). */
    public double score() {
        return policyLogps - refLogps;
    }

    /** |y| in {@code unit}: characters (code points) of the decoded response, or tokens without the eos. */
    public int length(DiceConfig.LengthUnit unit) {
        if (unit == DiceConfig.LengthUnit.TOKENS) {
            return ended ? responseIds.length - 1 : responseIds.length;
        }
        if (response == null) {
            throw new IllegalStateException("lengths in characters need decoded responses (a tokenizer)");
        }
        return response.codePointCount(0, response.length());
    }

    /**
     * The line of {@code samples.jsonl} and {@code scores.jsonl}: {@code prompt_index}, {@code sample},
     * {@code response_ids}, {@code response} (when decoded), {@code ended}, and once scored {@code policy_logps},
     * {@code ref_logps} and {@code score}.
     */
    public ObjectNode toJson() {
        ObjectNode row = JsonNodeFactory.instance.objectNode();
        row.put("prompt_index", prompt);
        row.put("sample", sample);
        ArrayNode ids = row.putArray("response_ids");
        for (int id : responseIds) {
            ids.add(id);
        }
        if (response != null) {
            row.put("response", response);
        }
        row.put("ended", ended);
        if (!Double.isNaN(policyLogps)) {
            row.put("policy_logps", policyLogps);
            row.put("ref_logps", refLogps);
            row.put("score", score());
        }
        return row;
    }

    /** The sample {@link #toJson} wrote. */
    public static DiceSample fromJson(JsonNode row) {
        int[] ids = new int[row.path("response_ids").size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = row.get("response_ids").get(i).asInt();
        }
        return new DiceSample(row.path("prompt_index").asInt(), row.path("sample").asInt(), ids,
                row.hasNonNull("response") ? row.get("response").asText() : null, row.path("ended").asBoolean(),
                row.has("policy_logps") ? row.get("policy_logps").asDouble() : Double.NaN,
                row.has("ref_logps") ? row.get("ref_logps").asDouble() : Double.NaN);
    }
}
