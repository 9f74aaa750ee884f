package org.align4j.data.panels;

import org.align4j.InputException;

/**
 * How much of the story each field of an extractive panel holds; word limits of 0 mean no limit. The defaults keep a
 * panel near 250 tokens of the embedded tokenizer for paragraphs of about 50 words, so that a panel and a paragraph
 * fit the embedded model's 512 positions.
 *
 * @param latestParagraphs    paragraphs before the target copied as the latest paragraph(s)
 * @param latestWords         words kept of each latest paragraph
 * @param maxCharacters       characters listed at most
 * @param maxPlaces           places listed at most
 * @param minMentions         mentions a name needs to be listed as a character
 * @param descriptionWords    words of the description of a character or place
 * @param planOpeningWords    words of the target's first clause in the plan (0: no opening)
 * @param planKeywords        key words of the target in the plan
 * @param shortTermParagraphs paragraphs before the latest ones summarised (first sentences) as short-term memory
 * @param shortTermWords      words kept of each of their first sentences
 * @param longTermParagraphs  earlier paragraphs retrieved as long-term memory
 * @param longTermWords       words kept of each retrieved paragraph
 */
public record PanelSizes(int latestParagraphs, int latestWords, int maxCharacters, int maxPlaces, int minMentions,
                         int descriptionWords, int planOpeningWords, int planKeywords, int shortTermParagraphs,
                         int shortTermWords, int longTermParagraphs, int longTermWords) {
    /** Rejects negative sizes and a panel without a latest paragraph. */
    public PanelSizes {
        int[] all = {latestParagraphs, latestWords, maxCharacters, maxPlaces, minMentions, descriptionWords,
                planOpeningWords, planKeywords, shortTermParagraphs, shortTermWords, longTermParagraphs, longTermWords};
        for (int v : all) {
            if (v < 0) {
                throw new InputException("panel sizes must be >= 0, got " + this);
            }
        }
        if (latestParagraphs < 1) {
            throw new InputException("a panel needs at least one latest paragraph, got " + latestParagraphs);
        }
    }

    /** The defaults: 1 latest paragraph, 3 characters and 2 places with 10-word descriptions, a plan of the first
     * 8 words of the target's first clause and 6 key words, 2 paragraphs of short-term memory (12 words each), 1
     * long-term memory of 16 words. */
    public static PanelSizes defaults() {
        return new PanelSizes(1, 0, 3, 2, 2, 10, 8, 6, 2, 12, 1, 16);
    }
}
