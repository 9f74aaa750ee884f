package org.align4j.data;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A deterministic sentiment score from the AFINN-165 valence lexicon (Finn Årup Nielsen, MIT; bundled as
 * {@code data/afinn-165.json}): the sum of the valences (integers in [-5, 5]) of the lexicon's words and phrases found
 * in a lower-cased text, phrases of up to three words taking precedence over their words. {@link #reward} maps the
 * sum to (0, 1) with a logistic, sigmoid(sum / 2), so that neutral text scores 0.5.
 */
public final class Afinn {
    private static final Pattern WORD = Pattern.compile("[a-z]+(?:'[a-z]+)?");
    private static final int MAX_PHRASE_WORDS = 3;
    private final Map<String, Integer> valence;

    private Afinn(Map<String, Integer> valence) {
        this.valence = valence;
    }

    /** The bundled lexicon. */
    public static Afinn bundled() {
        try (InputStream in = Afinn.class.getResourceAsStream("/data/afinn-165.json")) {
            if (in == null) {
                throw new IllegalStateException("bundled resource /data/afinn-165.json is missing");
            }
            return new Afinn(Map.copyOf(new ObjectMapper().readValue(in, new TypeReference<Map<String, Integer>>() {
            })));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The sum of the valences of the lexicon entries in {@code text}. */
    public int score(String text) {
        java.util.List<String> words = new java.util.ArrayList<>();
        Matcher m = WORD.matcher(text.toLowerCase(Locale.ROOT));
        while (m.find()) {
            words.add(m.group());
        }
        int sum = 0;
        for (int i = 0; i < words.size(); ) {
            int matched = 0;
            for (int n = Math.min(MAX_PHRASE_WORDS, words.size() - i); n >= 1 && matched == 0; n--) {
                Integer v = valence.get(String.join(" ", words.subList(i, i + n)));
                if (v != null) {
                    sum += v;
                    matched = n;
                }
            }
            i += Math.max(1, matched);
        }
        return sum;
    }

    /** The score mapped to (0, 1): sigmoid(score / 2). */
    public double reward(String text) {
        return 1 / (1 + Math.exp(-score(text) / 2.0));
    }
}
