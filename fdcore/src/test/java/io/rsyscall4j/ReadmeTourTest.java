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
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The java blocks of README.md, read from README.md, compiled with only the imports they show
 * and run as written: the block after each marker line, which leaves its result in the variable
 * the marker names.
 */
class ReadmeTourTest {
    static final String MARKER = "<!-- ReadmeTourTest runs the next java block; it ends with cat's output in echoed -->";
    static final String COMMAND_MARKER = "<!-- ReadmeTourTest runs the next java block; it ends with the program's output in out -->";

    @TempDir
    Path dir;

    @Test
    void theHandleTourRunsAsWritten() throws Exception {
        byte[] echoed = (byte[]) run("Tour", MARKER, "echoed");
        assertEquals("hello", new String(echoed, StandardCharsets.UTF_8));
    }

    @Test
    void theCommandExampleRunsAsWritten() throws Exception {
        ProcessOutput out = (ProcessOutput) run("CommandTour", COMMAND_MARKER, "out");
        assertEquals("/tmp\n0\n1\n2\n3\n", out.stdoutText(), "pwd, then the fds ls has: 0, 1, 2 and its own");
    }

    /** Compiles the block after {@code marker} as the body of {@code name.run()} and returns {@code result}. */
    private Object run(String name, String marker, String result) throws Exception {
        String block = block(Files.readString(readme(), StandardCharsets.UTF_8), marker);
        String imports = block.lines().filter(l -> l.startsWith("import ")).collect(Collectors.joining("\n"));
        String body = block.lines().filter(l -> !l.startsWith("import ")).collect(Collectors.joining("\n"));
        Files.writeString(dir.resolve(name + ".java"), """
                %s

                public final class %s {
                    public static Object run() throws Exception {
                %s
                        return %s;
                    }
                }
                """.formatted(imports, name, body, result));
        Path javac = Path.of(System.getProperty("java.home"), "bin", "javac");
        Process p = new ProcessBuilder(javac.toString(), "-d", dir.toString(), "-cp",
                System.getProperty("java.class.path"), dir.resolve(name + ".java").toString())
                .redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "javac ended");
        assertEquals(0, p.exitValue(), "the README's block compiles with its own imports:\n" + said);
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
            try {
                return loader.loadClass(name).getMethod("run").invoke(null);
            } catch (InvocationTargetException e) {
                throw new AssertionError("the README's block failed", e.getCause());
            }
        }
    }

    /** The block after the marker, without its fences. */
    static String block(String readme, String marker) {
        int at = readme.indexOf(marker);
        assertTrue(at >= 0, "README.md has the line " + marker);
        int open = readme.indexOf("```java\n", at);
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
