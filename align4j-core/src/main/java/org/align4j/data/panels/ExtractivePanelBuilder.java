package org.align4j.data.panels;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds condition panels from the text alone, without a model, so that panel experiments run offline. For the panel
 * of paragraph {@code i}:
 * <ul>
 * <li>latest paragraph(s): the paragraph(s) just before {@code i};</li>
 * <li>characters: proper nouns ({@link ProperNouns}) of paragraphs 0..i mentioned at least {@code minMentions} times
 *     (a sentence-initial capital counts only for a name the text also capitalises mid-sentence) that are not places;
 *     those mentioned in the latest paragraph(s) or in paragraph {@code i} come first, then the most mentioned;</li>
 * <li>places: proper nouns that follow a place preposition (in, at, to, from ... with an optional "the") in at least
 *     half of their mentions;</li>
 * <li>descriptions: the first sentence that mentions the name, clipped around it;</li>
 * <li>short-term memory: the first sentence of each of the paragraphs before the latest one(s);</li>
 * <li>long-term memory: the earlier paragraphs most similar by TF-IDF ({@link TfIdf}, fitted on the story) to the
 *     latest paragraph(s) and the plan, in story order;</li>
 * <li>plan: the opening words of paragraph {@code i}'s first clause and its key words by TF-IDF: the materials the
 *     paragraph is to be written with. This field is built from the paragraph it conditions.</li>
 * </ul>
 * The recurrent writer continues a panel with {@link #continued}: the story so far gives the latest paragraph,
 * memories and new names, and the author's plan is kept.
 */
public final class ExtractivePanelBuilder implements PanelBuilder {
    /** Between the sentences of the short-term memory (they are clipped, so a full stop would not always close them). */
    private static final String SHORT_TERM_SEPARATOR = " / ";
    private final PanelSizes sizes;

    /** A builder with the given field sizes. */
    public ExtractivePanelBuilder(PanelSizes sizes) {
        this.sizes = sizes;
    }

    /** The field sizes. */
    public PanelSizes sizes() {
        return sizes;
    }

    @Override
    public List<ParagraphPanel> build(Story story) {
        List<String> paragraphs = story.paragraphs();
        Analysis text = new Analysis(paragraphs);
        List<ParagraphPanel> panels = new ArrayList<>();
        for (int i = 1; i < paragraphs.size(); i++) {
            String plan = plan(text.tfidf, paragraphs.get(i));
            ConditionPanel panel = assemble(text, i, i + 1, plan, List.of(), List.of());
            panels.add(new ParagraphPanel(story, i, panel));
        }
        return panels;
    }

    /**
     * The panel after {@code storySoFar} (its last paragraph becomes the latest one): memories, characters and places
     * from the story so far, the characters and places of {@code previous} kept (with their descriptions) ahead of
     * new ones, and the plan of {@code previous} kept.
     */
    public ConditionPanel continued(ConditionPanel previous, List<String> storySoFar) {
        if (storySoFar.isEmpty()) {
            throw new IllegalArgumentException("the story so far is empty");
        }
        return assemble(new Analysis(storySoFar), storySoFar.size(), storySoFar.size(), previous.plan(),
                previous.characters(), previous.places());
    }

    /** A story's paragraphs with their proper-noun mentions and TF-IDF vectors. */
    private static final class Analysis {
        final List<String> paragraphs;
        final List<List<ProperNouns.Mention>> mentions;
        final TfIdf tfidf;
        final List<Map<String, Double>> vectors;

        Analysis(List<String> paragraphs) {
            this.paragraphs = paragraphs;
            this.mentions = paragraphs.stream().map(ProperNouns::scan).toList();
            this.tfidf = new TfIdf(paragraphs);
            this.vectors = paragraphs.stream().map(tfidf::vector).toList();
        }
    }

    /**
     * The panel whose latest paragraphs end before {@code latestEnd}, with names from paragraphs
     * {@code [0, scanEnd)}.
     */
    private ConditionPanel assemble(Analysis text, int latestEnd, int scanEnd, String plan,
                                    List<ConditionPanel.Entity> keptCharacters, List<ConditionPanel.Entity> keptPlaces) {
        List<String> paragraphs = text.paragraphs;
        int latestStart = Math.max(0, latestEnd - sizes.latestParagraphs());
        List<String> latest = new ArrayList<>();
        for (int p = latestStart; p < latestEnd; p++) {
            latest.add(Prose.clip(paragraphs.get(p), sizes.latestWords()));
        }
        int shortStart = Math.max(0, latestStart - sizes.shortTermParagraphs());
        List<String> shortTerm = new ArrayList<>();
        for (int p = shortStart; p < latestStart; p++) {
            shortTerm.add(Prose.clip(Prose.sentences(paragraphs.get(p)).getFirst(), sizes.shortTermWords()));
        }
        List<String> longTerm = new ArrayList<>();
        if (sizes.longTermParagraphs() > 0 && shortStart > 0) {
            String query = String.join(" ", latest) + " " + plan;
            for (int p : text.tfidf.mostSimilar(query, text.vectors.subList(0, shortStart),
                    sizes.longTermParagraphs())) {
                longTerm.add(Prose.clip(paragraphs.get(p), sizes.longTermWords()));
            }
        }
        Names names = names(text.mentions, scanEnd, latestStart);
        return new ConditionPanel(latest, merge(keptCharacters, names.characters, sizes.maxCharacters()),
                merge(keptPlaces, names.places, sizes.maxPlaces()), plan, String.join(SHORT_TERM_SEPARATOR, shortTerm), longTerm);
    }

    private static List<ConditionPanel.Entity> merge(List<ConditionPanel.Entity> kept,
                                                     List<ConditionPanel.Entity> found, int max) {
        List<ConditionPanel.Entity> out = new ArrayList<>(kept);
        Set<String> names = new HashSet<>();
        kept.forEach(e -> names.add(e.name()));
        for (ConditionPanel.Entity e : found) {
            if (out.size() >= Math.max(max, kept.size())) {
                break;
            }
            if (names.add(e.name())) {
                out.add(e);
            }
        }
        return out;
    }

    /** The plan of a paragraph: the opening words of its first clause and its key words. */
    private String plan(TfIdf tfidf, String paragraph) {
        String opening = sizes.planOpeningWords() > 0
                ? Prose.clip(Prose.firstClause(paragraph), sizes.planOpeningWords()) : "";
        List<String> keywords = tfidf.keywords(paragraph, sizes.planKeywords(),
                new HashSet<>(Prose.contentWords(opening)));
        StringBuilder plan = new StringBuilder();
        if (!opening.isEmpty()) {
            plan.append("Opening: ").append(opening);
        }
        if (!keywords.isEmpty()) {
            plan.append(plan.isEmpty() ? "" : " | ").append("Key words: ").append(String.join(", ", keywords));
        }
        return plan.toString();
    }

    /** What the text says about one name so far. */
    private static final class NameStats {
        int mentions;
        int placeMentions;
        boolean recent;
        final int order;
        final String firstSentence;

        NameStats(int order, String firstSentence) {
            this.order = order;
            this.firstSentence = firstSentence;
        }
    }

    /** The characters and places found, most relevant first. */
    private record Names(List<ConditionPanel.Entity> characters, List<ConditionPanel.Entity> places) {
    }

    /** Names of paragraphs {@code [0, end)}; those in paragraphs from {@code recentFrom} on count as recent. */
    private Names names(List<List<ProperNouns.Mention>> mentions, int end, int recentFrom) {
        Set<String> known = new HashSet<>();
        for (int p = 0; p < end; p++) {
            for (ProperNouns.Mention m : mentions.get(p)) {
                if (!m.sentenceInitial() || m.name().contains(" ")) {
                    known.add(m.name());
                }
            }
        }
        Map<String, NameStats> stats = new LinkedHashMap<>();
        for (int p = 0; p < end; p++) {
            for (ProperNouns.Mention m : mentions.get(p)) {
                if (!known.contains(m.name())) {
                    continue;
                }
                NameStats s = stats.computeIfAbsent(m.name(), n -> new NameStats(stats.size(), m.sentence()));
                s.mentions++;
                s.placeMentions += m.afterPlacePreposition() ? 1 : 0;
                s.recent |= p >= recentFrom;
            }
        }
        Comparator<Map.Entry<String, NameStats>> relevance = Comparator
                .comparing((Map.Entry<String, NameStats> e) -> !e.getValue().recent)
                .thenComparingInt(e -> -e.getValue().mentions)
                .thenComparingInt(e -> e.getValue().order);
        List<ConditionPanel.Entity> characters = new ArrayList<>();
        List<ConditionPanel.Entity> places = new ArrayList<>();
        stats.entrySet().stream().sorted(relevance).forEach(e -> {
            NameStats s = e.getValue();
            boolean place = s.placeMentions > 0 && 2 * s.placeMentions >= s.mentions;
            List<ConditionPanel.Entity> list = place ? places : characters;
            boolean listed = place ? places.size() < sizes.maxPlaces()
                    : s.mentions >= sizes.minMentions() && characters.size() < sizes.maxCharacters();
            if (listed) {
                list.add(new ConditionPanel.Entity(e.getKey(),
                        Prose.clipAround(s.firstSentence, e.getKey(), sizes.descriptionWords())));
            }
        });
        return new Names(characters, places);
    }
}
