package org.align4j.data.panels;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the proper nouns of a paragraph: runs of capitalised words (titles such as "Mr." join the run), with
 * leading function words dropped ("But Scotty" gives "Scotty"), possessive 's removed. Each mention records whether it
 * opens a sentence (where any word is capitalised, so it is only a name when the text also capitalises it elsewhere)
 * and whether it follows a place preposition (in, at, to, from, into ... optionally with "the").
 */
final class ProperNouns {
    /** Prepositions before a place. */
    static final Set<String> PLACE_PREPOSITIONS = Set.of("in", "at", "to", "from", "into", "near", "toward",
            "towards", "inside", "outside", "across", "through", "onto", "around");
    private static final Set<String> TITLES = Set.of("Mr", "Mrs", "Ms", "Dr", "St", "Mt", "Lt", "Col", "Gen", "Capt",
            "Prof", "Rev", "Sgt", "Jr", "Sr");
    private static final Pattern CHUNK = Pattern.compile("^([^A-Za-z]*)([A-Za-z]+(?:['’-][A-Za-z]+)*)(.*)$");

    /**
     * One mention of a proper noun.
     *
     * @param name                  the words of the run
     * @param sentenceInitial       whether the run opens a sentence (or a quotation)
     * @param afterPlacePreposition whether it follows a place preposition (with or without "the")
     * @param sentence              the sentence it appears in
     */
    record Mention(String name, boolean sentenceInitial, boolean afterPlacePreposition, String sentence) {
    }

    private ProperNouns() {
    }

    /** The proper-noun mentions of {@code paragraph}, in order. */
    static List<Mention> scan(String paragraph) {
        List<Mention> out = new ArrayList<>();
        for (String sentence : Prose.sentences(paragraph)) {
            scanSentence(sentence, out);
        }
        return out;
    }

    private static void scanSentence(String sentence, List<Mention> out) {
        String[] chunks = sentence.split("\\s+");
        List<String> run = new ArrayList<>();
        boolean runInitial = false;
        boolean runAfterPlace = false;
        String previous = "";
        String beforePrevious = "";
        boolean nextIsInitial = true;
        for (String chunk : chunks) {
            Matcher m = CHUNK.matcher(chunk);
            if (!m.matches()) {
                flush(run, runInitial, runAfterPlace, sentence, out);
                run.clear();
                nextIsInitial = chunk.endsWith(":") || chunk.endsWith("\"");
                continue;
            }
            String lead = m.group(1);
            String word = m.group(2);
            String trail = m.group(3);
            if (word.endsWith("'s") || word.endsWith("’s")) {
                word = word.substring(0, word.length() - 2);
                trail = "'s" + trail;
            }
            boolean initial = nextIsInitial || lead.contains("\"") || lead.contains("(") || lead.contains("'");
            boolean title = TITLES.contains(word) && trail.startsWith(".");
            boolean capitalised = Character.isUpperCase(word.charAt(0));
            if (!lead.isEmpty() && !run.isEmpty()) {
                flush(run, runInitial, runAfterPlace, sentence, out);
                run.clear();
            }
            if (capitalised) {
                if (run.isEmpty()) {
                    runInitial = initial;
                    runAfterPlace = PLACE_PREPOSITIONS.contains(previous)
                            || (previous.equals("the") && PLACE_PREPOSITIONS.contains(beforePrevious));
                }
                run.add(title ? word + "." : word);
                if (!trail.isEmpty() && !title) {
                    flush(run, runInitial, runAfterPlace, sentence, out);
                    run.clear();
                }
            } else {
                flush(run, runInitial, runAfterPlace, sentence, out);
                run.clear();
            }
            beforePrevious = previous;
            previous = word.toLowerCase(Locale.ROOT);
            nextIsInitial = trail.endsWith(":") || trail.endsWith("\"") && !trail.startsWith("'s");
        }
        flush(run, runInitial, runAfterPlace, sentence, out);
    }

    private static void flush(List<String> run, boolean initial, boolean afterPlace, String sentence,
                              List<Mention> out) {
        int from = 0;
        while (from < run.size() && Prose.FUNCTION_WORDS.contains(run.get(from).toLowerCase(Locale.ROOT))) {
            from++;
        }
        int to = run.size();
        while (to > from && Prose.FUNCTION_WORDS.contains(run.get(to - 1).toLowerCase(Locale.ROOT))) {
            to--;
        }
        if (from >= to || (to - from == 1 && run.get(from).length() < 2)) {
            return;
        }
        out.add(new Mention(String.join(" ", run.subList(from, to)), initial && from == 0, afterPlace, sentence));
    }
}
