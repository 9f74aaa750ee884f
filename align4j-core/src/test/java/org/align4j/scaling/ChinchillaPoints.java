package org.align4j.scaling;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;

/** Epoch AI's 245 points of Hoffmann et al.'s Figure 4 (see src/test/resources/scaling/README.md). */
final class ChinchillaPoints {
    static final String RESOURCE = "/scaling/chinchilla-figure4-points.csv";

    private ChinchillaPoints() {
    }

    /** The CSV copied into {@code dir}. */
    static Path copyTo(Path dir) {
        try (InputStream in = ChinchillaPoints.class.getResourceAsStream(RESOURCE)) {
            Path file = dir.resolve("chinchilla-figure4-points.csv");
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** All 245 runs. */
    static List<TrainingRun> all(Path dir) {
        return TrainingRunsCsv.read(copyTo(dir), TrainingRunsCsv.Columns.detect());
    }

    /** Without the 5 highest-loss runs, as Besiroglu et al. fit them. */
    static List<TrainingRun> withoutHighestLoss(Path dir) {
        List<TrainingRun> all = all(dir);
        return all.stream().sorted(Comparator.comparingDouble(TrainingRun::loss)).limit(all.size() - 5).toList();
    }
}
