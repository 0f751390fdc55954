package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API tour of README.md, read from README.md, compiled and run as written: the {@code java}
 * block after the line {@value #MARKER}, which must leave what cat echoed in {@code echoed}.
 */
class ReadmeTourTest {
    static final String MARKER = "<!-- ReadmeTourTest runs the next java block; it ends with cat's output in echoed -->";

    @TempDir
    Path dir;

    @Test
    void theTourInTheReadmeRunsAsWritten() throws Exception {
        String tour = tour(Files.readString(readme(), StandardCharsets.UTF_8));
        Files.writeString(dir.resolve("Tour.java"), """
                import io.rsyscall4j.*;
                import io.rsyscall4j.fd.*;
                import java.nio.charset.StandardCharsets;
                import java.util.*;

                public final class Tour {
                    public static byte[] run() throws Exception {
                %s
                        return echoed;
                    }
                }
                """.formatted(tour));
        Path javac = Path.of(System.getProperty("java.home"), "bin", "javac");
        Process p = new ProcessBuilder(javac.toString(), "-d", dir.toString(), "-cp",
                System.getProperty("java.class.path"), dir.resolve("Tour.java").toString())
                .redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "javac ended");
        assertEquals(0, p.exitValue(), "the README's tour compiles:\n" + said);
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
            byte[] echoed;
            try {
                echoed = (byte[]) loader.loadClass("Tour").getMethod("run").invoke(null);
            } catch (InvocationTargetException e) {
                throw new AssertionError("the README's tour failed", e.getCause());
            }
            assertEquals("hello", new String(echoed, StandardCharsets.UTF_8));
        }
    }

    /** The block after the marker, without its fences. */
    static String tour(String readme) {
        int marker = readme.indexOf(MARKER);
        assertTrue(marker >= 0, "README.md has the line " + MARKER);
        int open = readme.indexOf("```java\n", marker);
        assertTrue(open >= 0, "a java block follows the marker");
        int start = open + "```java\n".length();
        int end = readme.indexOf("\n```", start);
        assertTrue(end >= 0, "the java block ends");
        return readme.substring(start, end + 1);
    }

    /** README.md at the top of the checkout (tests run in their module's directory). */
    private static Path readme() throws IOException {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("README.md")) && Files.isRegularFile(d.resolve("mvnw"))) {
                return d.resolve("README.md");
            }
        }
        throw new IOException("no README.md next to mvnw above " + Path.of("").toAbsolutePath());
    }
}
