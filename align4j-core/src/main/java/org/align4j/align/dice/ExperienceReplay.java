package org.align4j.align.dice;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import org.align4j.InputException;

/**
 * DICE's experience replay (Chen et al. 2025, Section 3.3): each round trains on generated pairs mixed with pairs of
 * the offline preference data, a share γ of the mix being offline. With |D_off| offline and |D_gen| generated pairs,
 * as the authors' script counts them: n_gen = min(⌊|D_off| (1 − γ)⌋, |D_gen|) generated pairs and
 * n_off = ⌊γ n_gen / (1 − γ)⌋ offline pairs, each drawn at random (seeded) without replacement; the offline pairs are
 * drawn among those whose prompt is not the prompt of a drawn generated pair, so that no prompt is trained on
 * with both a generated and an offline pair.
 *
 * <p>When fewer offline pairs than n_off have such prompts, all of them are taken and the mix holds fewer offline
 * pairs than γ asks ({@link Mix#offlineShort()} says how many fewer; the authors' script fails there). Without
 * offline data (the API allows it; the command requires a file) every generated pair is used.
 */
public final class ExperienceReplay {
    private ExperienceReplay() {
    }

    /** How many generated and offline pairs a mix takes. */
    public record Counts(int generated, int offline) {
    }

    /**
     * A mix.
     *
     * @param generated     the drawn generated pairs
     * @param offline       the drawn offline pairs
     * @param asked         n_gen and n_off as the formula gives them
     * @param offlineShort  how many offline pairs were missing (n_off − offline.size())
     * @param <G>           the generated pairs' type
     * @param <O>           the offline pairs' type
     */
    public record Mix<G, O>(List<G> generated, List<O> offline, Counts asked, int offlineShort) {
    }

    /** n_gen and n_off for {@code offline} offline and {@code generated} generated pairs at share γ. */
    public static Counts counts(int offline, int generated, double gamma) {
        if (!(gamma >= 0 && gamma < 1)) {
            throw new InputException("gamma must be in [0, 1), got " + gamma);
        }
        if (offline == 0) {
            return new Counts(generated, 0);
        }
        int nGen = Math.min((int) Math.floor(offline * (1 - gamma) + 1e-9), generated);
        int nOff = (int) Math.floor(gamma * nGen / (1 - gamma) + 1e-9);
        return new Counts(nGen, nOff);
    }

    /**
     * Draws the mix.
     *
     * @param generatedPrompt the prompt of a generated pair, as a key comparable with {@code offlinePrompt}'s
     * @param seed            seed of the draws
     */
    public static <G, O> Mix<G, O> mix(List<G> generated, Function<G, String> generatedPrompt, List<O> offline,
                                       Function<O, String> offlinePrompt, double gamma, long seed) {
        Counts counts = counts(offline.size(), generated.size(), gamma);
        Random random = new Random(seed);
        List<G> gen = new ArrayList<>(generated);
        Collections.shuffle(gen, random);
        gen = List.copyOf(gen.subList(0, counts.generated()));
        Set<String> used = new HashSet<>();
        gen.forEach(g -> used.add(generatedPrompt.apply(g)));
        List<O> candidates = new ArrayList<>();
        for (O o : offline) {
            if (!used.contains(offlinePrompt.apply(o))) {
                candidates.add(o);
            }
        }
        Collections.shuffle(candidates, random);
        int taken = Math.min(counts.offline(), candidates.size());
        return new Mix<>(gen, List.copyOf(candidates.subList(0, taken)), counts, counts.offline() - taken);
    }
}
