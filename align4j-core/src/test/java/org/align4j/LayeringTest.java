package org.align4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The package layering of ARCHITECTURE.md, checked on the sources: a package imports only its own stage and the
 * stages below it (the root package, below all, none), and nothing outside {@code tensor} imports the kernel
 * implementations in {@code tensor.cpu}.
 */
class LayeringTest {
    /** The stages of the data flow, lowest first. */
    private static final List<String> STAGES = List.of("tensor", "autograd", "model", "nn", "tokenizer", "data",
            "train", "align", "quant", "scaling", "experiments", "cli");
    private static final Path SOURCES = Path.of("src/main/java/org/align4j");
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?org\\.align4j\\.([a-z]+)(\\.[a-z]+)?",
            Pattern.MULTILINE);

    @Test
    void everyPackageImportsOnlyItsOwnStageAndLowerOnes() throws IOException {
        List<String> violations = new ArrayList<>();
        int imports = 0;
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Path relative = SOURCES.relativize(file);
                // the root package (types every stage shares, such as InputException) sits below all stages
                String stage = relative.getNameCount() == 1 ? "org.align4j" : relative.getName(0).toString();
                int rank = relative.getNameCount() == 1 ? -1 : STAGES.indexOf(stage);
                assertTrue(rank >= 0 || relative.getNameCount() == 1, file + " is in no stage of " + STAGES);
                Matcher m = IMPORT.matcher(Files.readString(file));
                while (m.find()) {
                    imports++;
                    String imported = m.group(1);
                    int importedRank = STAGES.indexOf(imported);
                    if (importedRank < 0 || importedRank > rank) {
                        violations.add(file + " (" + stage + ") imports " + imported);
                    } else if (".cpu".equals(m.group(2)) && !stage.equals("tensor")) {
                        violations.add(file + " (" + stage + ") imports the kernel implementations tensor.cpu");
                    }
                }
            }
        }
        assertTrue(imports > 100, "only " + imports + " imports found: is " + SOURCES + " the source tree?");
        assertEquals(List.of(), violations);
    }
}
