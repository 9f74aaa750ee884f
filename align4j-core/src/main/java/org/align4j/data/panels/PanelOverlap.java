package org.align4j.data.panels;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * How much of a paragraph the written fields of its panel copy: the share of the paragraph's word tokens that appear
 * among the words of the panel's plan, short-term memory and character and place descriptions. Words are
 * {@link Prose#words} lower-cased (letters with inner apostrophes or hyphens); every occurrence in the paragraph
 * counts, so "Anna saw Anna" against a plan "Anna" is 2/3. The names of characters and places, the latest paragraph
 * and the long-term memory are not written by a panel builder (names are the story's, the rest is copied or
 * retrieved) and do not count. A panel that restates its paragraph verbatim scores 1, one that shares no word 0.
 */
public final class PanelOverlap {
    private PanelOverlap() {
    }

    /** The share in [0, 1] of {@code paragraph}'s word tokens found in {@code panel}'s written fields (0 without words). */
    public static double of(String paragraph, ConditionPanel panel) {
        List<String> words = Prose.words(paragraph);
        if (words.isEmpty()) {
            return 0;
        }
        Set<String> written = new HashSet<>();
        addWords(written, panel.plan());
        addWords(written, panel.shortTermMemory());
        panel.characters().forEach(e -> addWords(written, e.description()));
        panel.places().forEach(e -> addWords(written, e.description()));
        int copied = 0;
        for (String w : words) {
            copied += written.contains(normal(w)) ? 1 : 0;
        }
        return copied / (double) words.size();
    }

    /**
     * round({@code fraction} × n) of the n whitespace-separated pieces of {@code paragraph}, drawn without replacement
     * and kept in their order, joined by spaces: a text that restates that share of the paragraph by construction
     * (the whole paragraph at 1, "" at 0); the panels experiment puts it in the plan to dose a panel.
     */
    public static String subsequence(String paragraph, double fraction, SplittableRandom random) {
        if (!(fraction >= 0 && fraction <= 1)) {
            throw new IllegalArgumentException("fraction must be in [0, 1], got " + fraction);
        }
        String[] pieces = paragraph.strip().split("\\s+");
        if (pieces.length == 1 && pieces[0].isEmpty()) {
            return "";
        }
        int keep = (int) Math.round(fraction * pieces.length);
        List<String> out = new ArrayList<>(keep);
        for (int i = 0; i < pieces.length && out.size() < keep; i++) {
            // selection sampling (Knuth's Algorithm S): piece i is kept with probability (keep - kept) / (n - i)
            if (random.nextInt(pieces.length - i) < keep - out.size()) {
                out.add(pieces[i]);
            }
        }
        return String.join(" ", out);
    }

    private static void addWords(Set<String> into, String text) {
        for (String w : Prose.words(text)) {
            into.add(normal(w));
        }
    }

    private static String normal(String word) {
        return word.toLowerCase(Locale.ROOT).replace('’', '\'');
    }
}
