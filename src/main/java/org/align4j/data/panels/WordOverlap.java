package org.align4j.data.panels;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * How much of a paragraph a panel text carries, in words: the measure of the panels experiment's dose-response axis,
 * and the way to build a text that carries a chosen share of a paragraph.
 */
public final class WordOverlap {
    private WordOverlap() {
    }

    /**
     * The share of {@code target}'s word occurrences (words as {@link Prose#words} finds them, compared in lower case)
     * whose word occurs in {@code source}; 0 for a target without words.
     */
    public static double share(String target, String source) {
        List<String> words = Prose.words(target);
        if (words.isEmpty()) {
            return 0;
        }
        Set<String> given = new HashSet<>();
        for (String w : Prose.words(source)) {
            given.add(w.toLowerCase(Locale.ROOT));
        }
        long carried = words.stream().filter(w -> given.contains(w.toLowerCase(Locale.ROOT))).count();
        return carried / (double) words.size();
    }

    /**
     * round({@code fraction} × n) of the n whitespace-separated pieces of {@code text}, drawn without replacement and
     * kept in their order, joined by spaces: a text that carries that share of {@code text} by construction (the
     * whole text at 1, "" at 0).
     */
    public static String subsequence(String text, double fraction, SplittableRandom random) {
        if (!(fraction >= 0 && fraction <= 1)) {
            throw new IllegalArgumentException("fraction must be in [0, 1], got " + fraction);
        }
        String[] pieces = text.strip().split("\\s+");
        if (pieces.length == 1 && pieces[0].isEmpty()) {
            return "";
        }
        int keep = (int) Math.round(fraction * pieces.length);
        boolean[] kept = new boolean[pieces.length];
        for (int chosen = 0, i = 0; chosen < keep; i++) {
            // selection sampling (Knuth's Algorithm S): piece i is kept with probability (keep - chosen) / (n - i)
            if (random.nextInt(pieces.length - i) < keep - chosen) {
                kept[i] = true;
                chosen++;
            }
        }
        List<String> out = new ArrayList<>(keep);
        for (int i = 0; i < pieces.length; i++) {
            if (kept[i]) {
                out.add(pieces[i]);
            }
        }
        return String.join(" ", out);
    }
}
