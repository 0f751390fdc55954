package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Javadoc of the library's modules, api and fdcore, builds without a warning: no broken
 * reference, bad HTML or malformed tag ({@code -Xdoclint:all,-missing}: a first sentence that states
 * the contract is the style here, not an {@code @param} for every parameter).
 */
class JavadocTest {
    private static final List<Path> SOURCES = List.of(Path.of("src/main/java"), Path.of("../api/src/main/java"));

    @TempDir
    Path dir;

    @Test
    void theLibrarysJavadocBuildsWithoutWarnings() throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "javadoc").toString(),
                "-quiet", "-Xdoclint:all,-missing", "-d", dir.toString(),
                "-cp", System.getProperty("java.class.path")));
        for (Path root : SOURCES) {
            try (Stream<Path> files = Files.walk(root)) {
                files.filter(f -> f.toString().endsWith(".java") && !f.endsWith("module-info.java"))
                        .forEach(f -> command.add(f.toString()));
            }
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "javadoc ended");
        assertEquals("", said.strip(), "javadoc's warnings");
        assertEquals(0, p.exitValue());
    }
}
