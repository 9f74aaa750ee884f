package org.align4j.data.panels;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

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

    private static void addWords(Set<String> into, String text) {
        for (String w : Prose.words(text)) {
            into.add(normal(w));
        }
    }

    private static String normal(String word) {
        return word.toLowerCase(Locale.ROOT).replace('’', '\'');
    }
}
