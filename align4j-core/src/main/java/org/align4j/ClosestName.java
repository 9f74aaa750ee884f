package org.align4j;

import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * The known name closest to a misspelt one, for "did you mean" hints: an option, a command, a dataset field. Closeness
 * is the Levenshtein distance, and a name counts as a likely typo within 2 edits, or a quarter of its length.
 */
public final class ClosestName {
    private ClosestName() {
    }

    /** The name among {@code names} closest to {@code given}, or null when none is close enough to be a typo. */
    public static String among(String given, Collection<String> names) {
        return names.stream().min(Comparator.comparingInt(name -> editDistance(given, name)))
                .filter(name -> editDistance(given, name) <= Math.max(2, given.length() / 4)).orElse(null);
    }

    /**
     * The one of {@code values} whose name ({@code nameOf}) is {@code given}.
     *
     * @param what the kind of name, for the message (e.g. "DPO loss type")
     * @throws InputException naming {@code given}, the closest valid name and every valid name, when none matches
     */
    public static <E> E pick(E[] values, Function<E, String> nameOf, String given, String what) {
        for (E value : values) {
            if (nameOf.apply(value).equals(given)) {
                return value;
            }
        }
        List<String> names = Arrays.stream(values).map(nameOf).toList();
        String closest = among(String.valueOf(given), names);
        throw new InputException("unknown " + what + " '" + given + "'"
                + (closest != null ? " (did you mean '" + closest + "'?)" : "") + "; valid names: "
                + String.join(", ", names));
    }

    /** Levenshtein distance (insertions, deletions and substitutions cost 1). */
    static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
