package io.rsyscall4j.itests.osgi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The smoke scenario of the OSGi tests — the local task, a pipe through it, closed once — run in a
 * fresh JVM outside OSGi: with the built jars as JPMS modules on the module path, and as plain jars
 * on the class path. The same jars, no OSGi framework, each provider in turn.
 */
final class SmokeOutsideOsgiTest {
    private static final Path SOURCES = Path.of(System.getProperty("rsyscall4j.itests.taskprobe.src"));
    private static final Path JARS = Path.of(System.getProperty("rsyscall4j.itests.smoke.jars"));
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private static final String MAIN = "io.rsyscall4j.itests.taskprobe.TaskProbe";

    @Test
    void onTheModulePathTheLocalTaskWorksThroughEachProvider(@TempDir Path tmp) throws Exception {
        Path classes = compile(tmp, true);
        for (String provider : List.of("ffm", "jna")) {
            Run run = run(tmp, List.of(JAVA, "--module-path", classes + File.pathSeparator + JARS,
                    "--enable-native-access=io.rsyscall4j.provider.ffm,com.sun.jna",
                    "-m", "io.rsyscall4j.itests.taskprobe/" + MAIN, provider));
            assertEquals("provider=" + provider + " fdcore=io.rsyscall4j.fdcore pid=" + run.pid
                    + " pipe=true read=smoke closed=true", run.out, run.toString());
            assertEquals("", run.err, "no warnings: " + run);
        }
    }

    @Test
    void onTheClassPathTheLocalTaskWorksThroughEachProvider(@TempDir Path tmp) throws Exception {
        Path classes = compile(tmp, false);
        String classPath;
        try (Stream<Path> jars = Files.list(JARS)) {
            classPath = classes + File.pathSeparator
                    + jars.map(Path::toString).sorted().collect(Collectors.joining(File.pathSeparator));
        }
        for (String provider : List.of("ffm", "jna")) {
            Run run = run(tmp, List.of(JAVA, "-cp", classPath, "--enable-native-access=ALL-UNNAMED", MAIN, provider));
            assertEquals("provider=" + provider + " fdcore=unnamed pid=" + run.pid
                    + " pipe=true read=smoke closed=true", run.out, run.toString());
            assertEquals("", run.err, "no warnings: " + run);
        }
    }

    /** Compiles the probe for Java 17, as a module or (without its module-info) for the class path. */
    private static Path compile(Path tmp, boolean asModule) throws IOException {
        Path classes = tmp.resolve(asModule ? "module" : "classpath");
        List<String> args = new ArrayList<>(List.of("--release", "17", "-d", classes.toString()));
        String jars;
        try (Stream<Path> list = Files.list(JARS)) {
            jars = list.map(Path::toString).collect(Collectors.joining(File.pathSeparator));
        }
        args.addAll(List.of(asModule ? "--module-path" : "--class-path", jars));
        try (Stream<Path> files = Files.walk(SOURCES)) {
            files.filter(f -> f.toString().endsWith(".java"))
                    .filter(f -> asModule || !f.getFileName().toString().equals("module-info.java"))
                    .forEach(f -> args.add(f.toString()));
        }
        assertEquals(0, ToolProvider.getSystemJavaCompiler().run(null, null, null, args.toArray(String[]::new)),
                "the probe compiles against the built jars");
        return classes;
    }

    private static Run run(Path tmp, List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile(tmp, "stdout", ".txt");
        Path err = Files.createTempFile(tmp, "stderr", ".txt");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        // A bound on waiting for a hung JVM, not a speed assertion.
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "probe JVM did not finish: " + command);
        Run run = new Run(p.pid(), p.exitValue(), Files.readString(out).strip(), Files.readString(err));
        assertEquals(0, run.status, run.toString());
        return run;
    }

    private record Run(long pid, int status, String out, String err) {
        @Override
        public String toString() {
            return "status " + status + "\nstdout: " + out + "\nstderr: " + err;
        }
    }
}
