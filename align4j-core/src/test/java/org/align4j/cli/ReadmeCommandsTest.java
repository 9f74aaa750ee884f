package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The README's command table has a row for every command the CLI runs (every leaf of the command tree). */
class ReadmeCommandsTest {

    @Test
    void everyCommandHasARowInTheReadmeTable() throws IOException {
        List<String> rows = Files.readAllLines(Path.of("../README.md")).stream()
                .filter(line -> line.startsWith("| `align4j ")).toList();
        List<String> commands = new ArrayList<>();
        leaves(Main.commandLine(), "align4j", commands);
        assertTrue(commands.size() > 25, "only " + commands + " found");
        List<String> missing = commands.stream()
                .filter(c -> rows.stream().noneMatch(r -> r.startsWith("| `" + c + " ") || r.startsWith("| `" + c + "`")))
                .toList();
        assertEquals(List.of(), missing, "commands without a row in README.md's command table");
    }

    private static void leaves(CommandLine command, String path, List<String> out) {
        if (command.getSubcommands().isEmpty()) {
            out.add(path);
            return;
        }
        command.getSubcommands().forEach((name, sub) -> {
            if (!name.equals("help") && sub.getCommandName().equals(name)) {
                leaves(sub, path + " " + name, out);
            }
        });
    }
}
