package org.align4j.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingRunsCsvTest {
    @TempDir
    Path tmp;

    private Path write(String text) throws IOException {
        return Files.writeString(tmp.resolve("runs.csv"), text);
    }

    @Test
    void readsEpochAisColumnsAndDerivesTokensFromCompute() {
        List<TrainingRun> runs = ChinchillaPoints.all(tmp);
        assertEquals(245, runs.size());
        TrainingRun first = runs.getFirst();
        assertEquals(6795600349.289497, first.parameters(), 0);
        assertEquals(9.993852799709755e18 / (6 * 6795600349.289497), first.tokens(), 1e-6);
        assertEquals(5.005581996196243, first.loss(), 0);
    }

    @Test
    void derivesComputeFromTokensAndReadsNamedAndQuotedColumns() throws IOException {
        Path file = write("width,\"non-embedding, N\",tokens,eval_loss\n64,1000,2e4,3.5\n\n128,4000,1e4,3.25\n");
        List<TrainingRun> runs = TrainingRunsCsv.read(file,
                new TrainingRunsCsv.Columns("non-embedding, N", null, null, null));
        assertEquals(2, runs.size());
        assertEquals(6 * 1000 * 2e4, runs.getFirst().compute(), 0);
        assertEquals(3.25, runs.get(1).loss(), 0);
        assertEquals(file + ":4", runs.get(1).source());
    }

    @Test
    void errorsNameTheFileLineAndColumn() throws IOException {
        Path bad = write("N,C,loss\n1e6,1e18,3.1\n2e6,oops,3.0\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainingRunsCsv.read(bad, TrainingRunsCsv.Columns.detect()));
        assertEquals(bad + ":3: column 'C': 'oops' is not a positive number", e.getMessage());

        Path missing = write("N,C\n1e6,1e18\n");
        e = assertThrows(IllegalArgumentException.class,
                () -> TrainingRunsCsv.read(missing, TrainingRunsCsv.Columns.detect()));
        assertEquals(missing + ":1: no loss column (loss, eval_loss, L) among [N, C]", e.getMessage());

        Path ragged = write("N,C,loss\n1e6,1e18\n");
        e = assertThrows(IllegalArgumentException.class,
                () -> TrainingRunsCsv.read(ragged, TrainingRunsCsv.Columns.detect()));
        assertEquals(ragged + ":2: 2 fields, the header has 3", e.getMessage());

        Path named = write("N,C,loss\n1e6,1e18,3\n");
        e = assertThrows(IllegalArgumentException.class,
                () -> TrainingRunsCsv.read(named, new TrainingRunsCsv.Columns("params", null, null, null)));
        assertEquals(named + ":1: no N column 'params' among [N, C, loss]", e.getMessage());

        Path negative = write("N,D,loss\n1e6,1e9,-3\n");
        e = assertThrows(IllegalArgumentException.class,
                () -> TrainingRunsCsv.read(negative, TrainingRunsCsv.Columns.detect()));
        assertEquals(negative + ":2: column 'loss': '-3' is not a positive number", e.getMessage());

        Path unterminated = write("N,D,loss\n1e6,\"1e9,3\n");
        e = assertThrows(IllegalArgumentException.class,
                () -> TrainingRunsCsv.read(unterminated, TrainingRunsCsv.Columns.detect()));
        assertEquals(unterminated + ":2: column 2: unterminated quoted field", e.getMessage());
    }
}
