package org.align4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.align4j.data.BrownCorpus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The byte-level BPE trainer, and the embedded tokenizer it made from the bundled corpus. */
class BpeTrainerTest {
    @TempDir
    Path tmp;

    @Test
    void learnsFrequentPairsFirstAndRoundTrips() throws IOException {
        BpeTrainer trainer = new BpeTrainer(10, "<|endoftext|>");
        BpeTrainer.Result r = trainer.train(List.of("the cat the hat the bat", "the the the"));
        assertEquals(10, r.merges().size());
        assertArrayEquals(new String[] {"h", "e"}, r.merges().get(0), "h e and t h both occur 6 times; ties go by text");
        assertArrayEquals(new String[] {"t", "he"}, r.merges().get(1));
        assertEquals(256 + 10, r.vocabulary().size());
        trainer.write(r, tmp, 64);
        Tokenizer tok = Tokenizer.load(tmp);
        assertEquals(1, tok.encode(" the", false).length, "' the' is one token after 10 merges");
        String text = "the cat sat on the mat, naïvely — 42 times!\n";
        assertEquals(text, tok.decode(tok.encode(text, false), false));
        assertEquals(266, tok.eosTokenId().orElseThrow());
        assertEquals(266, tok.padTokenId().orElseThrow());
    }

    @Test
    void embeddedTokenizerIsReproducibleFromTheBundledCorpus() throws IOException {
        BpeTrainer trainer = new BpeTrainer(4000, "<|endoftext|>");
        trainer.write(trainer.train(BrownCorpus.paragraphs()), tmp, 1024);
        try (InputStream committed = getClass().getResourceAsStream("/embedded/tokenizer/tokenizer.json")) {
            assertArrayEquals(committed.readAllBytes(), Files.readAllBytes(tmp.resolve("tokenizer.json")),
                    "retraining gives the committed tokenizer.json");
        }
        Tokenizer tok = Tokenizer.load(tmp);
        assertEquals(4257, tok.vocabSize());
        long tokens = 0;
        long bytes = 0;
        for (String p : BrownCorpus.paragraphs().subList(0, 500)) {
            int[] ids = tok.encode(p, false);
            assertEquals(p, tok.decode(ids, false));
            tokens += ids.length;
            bytes += p.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        }
        assertTrue(bytes / (double) tokens > 3.5, "compression " + bytes / (double) tokens + " bytes per token");
    }
}
