package org.align4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BrownCorpusTest {
    @Test
    void languageModelingSplitHoldsOutEveryTwentyFirstText() {
        List<BrownCorpus.Document> docs = BrownCorpus.documents();
        BrownCorpus.Split all = BrownCorpus.languageModelingSplit(0);
        assertEquals(126, docs.size());
        assertEquals(120, all.train().size());
        assertEquals(6, all.heldOut().size());
        assertEquals(docs.get(20).id(), all.heldOut().getFirst().source());
        assertEquals(docs.get(125).id(), all.heldOut().getLast().source());
        Set<String> ids = new HashSet<>();
        all.train().forEach(e -> ids.add(e.source()));
        all.heldOut().forEach(e -> assertTrue(ids.add(e.source()), "held out and trained on: " + e.source()));
        Example.LanguageModeling first = (Example.LanguageModeling) all.train().getFirst();
        assertEquals(docs.getFirst().text(), ((Text.Plain) first.text()).text());
    }

    @Test
    void languageModelingSplitOfTheFirstTexts() {
        BrownCorpus.Split first = BrownCorpus.languageModelingSplit(42);
        assertEquals(40, first.train().size());
        assertEquals(2, first.heldOut().size());
    }
}
