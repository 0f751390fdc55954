package io.rsyscall4j.itests.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.ToolProvider;

/**
 * Runs the probe program ({@code src/test/probe}: it prints one line per provider that
 * {@code ServiceLoader} finds, with its module and the pid its {@code getpid} returned) in a fresh
 * JVM, so a test can put exactly the built jars on that JVM's module path or class path.
 */
final class Probe {
    static final Path SOURCE_ROOT = Path.of(System.getProperty("rsyscall4j.itests.probe.src"));
    static final Path SOURCE = SOURCE_ROOT.resolve("io/rsyscall4j/itests/probe/Probe.java");
    static final String MODULE_MAIN = "io.rsyscall4j.itests.probe/io.rsyscall4j.itests.probe.Probe";

    /** What one run printed. */
    record Output(long pid, int exitCode, List<String> lines, String stderr) {
        /** The lines as {@code provider=P module=M pid=...} would print them, sorted, for this run's pid. */
        List<String> expect(String... providerAndModule) {
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < providerAndModule.length; i += 2) {
                expected.add("provider=" + providerAndModule[i] + " module=" + providerAndModule[i + 1] + " pid=" + pid);
            }
            return expected;
        }
    }

    private Probe() {}

    /** Compiles the probe as a named module into {@code classes} for {@code release}. */
    static void compileModule(Path classes, String modulePath, int release) throws IOException {
        List<String> args = new ArrayList<>(List.of("--release", Integer.toString(release),
                "--module-path", modulePath, "-d", classes.toString()));
        try (Stream<Path> files = Files.walk(SOURCE_ROOT)) {
            files.filter(f -> f.toString().endsWith(".java")).forEach(f -> args.add(f.toString()));
        }
        assertEquals(0, ToolProvider.getSystemJavaCompiler().run(null, null, null, args.toArray(String[]::new)),
                "probe module compiles");
    }

    /** Runs {@code command} (a java command line), its output going to files in {@code tmp}. */
    static Output run(Path tmp, List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile(tmp, "stdout", ".txt");
        Path err = Files.createTempFile(tmp, "stderr", ".txt");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        // A bound on waiting for a hung JVM, not a speed assertion.
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly().waitFor();
            fail("the JVM did not finish within 2 minutes and was killed: " + command + "\n" + Files.readString(out)
                    + Files.readString(err));
        }
        String stderr = Files.readString(err);
        List<String> lines = Files.readString(out).lines().sorted().collect(Collectors.toList());
        assertEquals(0, p.exitValue(), "probe failed: " + command + "\n" + lines + "\n" + stderr);
        return new Output(p.pid(), p.exitValue(), lines, stderr);
    }
}
