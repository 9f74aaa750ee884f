package org.align4j.align.dpo;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.align4j.model.Fixture;

/** The {@code dpo} section of a fixture model's golden.json: TRL's inputs and outputs for three pairs. */
record DpoGolden(String model, JsonNode dpo) {

    static DpoGolden load(String model) {
        return new DpoGolden(model, Fixture.load(model).golden().get("dpo"));
    }

    double beta() {
        return dpo.get("beta").asDouble();
    }

    double labelSmoothing() {
        return dpo.get("label_smoothing").asDouble();
    }

    double discopopTau() {
        return dpo.get("discopop_tau").asDouble();
    }

    int pairs() {
        return dpo.get("pairs").size();
    }

    int[] prompt(int pair) {
        return Fixture.ints(dpo.get("pairs").get(pair).get("prompt"));
    }

    int[] chosen(int pair) {
        return Fixture.ints(dpo.get("pairs").get(pair).get("chosen"));
    }

    int[] rejected(int pair) {
        return Fixture.ints(dpo.get("pairs").get(pair).get("rejected"));
    }

    double[] logps(String key) {
        return Fixture.doubles(dpo.get(key));
    }

    /** The golden per-sequence log-probabilities as a batch; lengths are the completion token counts. */
    DpoLossInput batch() {
        int n = pairs();
        int[] chosenLengths = new int[n];
        int[] rejectedLengths = new int[n];
        for (int i = 0; i < n; i++) {
            chosenLengths[i] = chosen(i).length;
            rejectedLengths[i] = rejected(i).length;
        }
        return DpoLossInput.of(logps("policy_chosen_logps"), logps("policy_rejected_logps"), logps("ref_chosen_logps"),
                logps("ref_rejected_logps"), chosenLengths, rejectedLengths);
    }

    /** The configuration the goldens were computed with, for one loss type. */
    DpoLossConfig config(DpoLossType type) {
        return DpoLossConfig.defaults().withOptions(Map.of("beta", beta(), "label_smoothing", labelSmoothing(),
                "discopop_tau", discopopTau(), "loss_type", List.of(type)));
    }

    boolean hasLoss(DpoLossType type) {
        return dpo.get("losses").has(type.trlName());
    }

    double[] perPair(DpoLossType type) {
        return Fixture.doubles(dpo.get("losses").get(type.trlName()).get("per_pair"));
    }

    double mean(DpoLossType type) {
        return dpo.get("losses").get(type.trlName()).get("mean").asDouble();
    }

    double metric(String name) {
        return dpo.get("metrics").get(name).asDouble();
    }
}
