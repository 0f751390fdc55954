package io.rsyscall4j.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rsyscall4j info}, run from the packaged jar in its own JVM. */
class InfoCommandIT {

    @Test
    void infoOnThisJdkUsesFfmAndListsBothProvidersAndEveryBundleActive() throws Exception {
        Run.Result r = Run.launch("info");
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().contains("JDK: " + System.getProperty("java.version")), r::toString);
        assertTrue(r.out().contains("provider in use: ffm\n"), r::toString);
        assertTrue(r.out().contains("ffm (ranking 100, from io.rsyscall4j.provider.ffm)"), r::toString);
        assertTrue(r.out().contains("jna (ranking 50, from io.rsyscall4j.provider.jna)"), r::toString);
        for (String bundle : List.of("io.rsyscall4j.api", "io.rsyscall4j.provider.ffm", "io.rsyscall4j.provider.jna",
                "io.rsyscall4j.fdcore", "io.rsyscall4j.cli", "org.apache.felix.scr", "org.apache.felix.configadmin",
                "com.sun.jna", "picocli")) {
            assertTrue(r.out().lines().anyMatch(l -> l.trim().startsWith(bundle + " ") && l.endsWith("ACTIVE")),
                    () -> bundle + " active\n" + r);
        }
    }

    @Test
    void infoProbesEachKernelFeatureBySyscall() throws Exception {
        Run.Result r = Run.launch("info");
        assertEquals(0, r.status(), r::toString);
        // This project needs all three (exec relies on close_range's CLOEXEC flag): the test
        // machine's kernel has them, and info must say so rather than guess.
        assertTrue(r.out().contains("  close_range: yes (with CLOSE_RANGE_CLOEXEC)\n"), r::toString);
        assertTrue(r.out().contains("  pidfd_open: yes\n"), r::toString);
        assertTrue(r.out().contains("  clone3: yes\n"), r::toString);
    }

    @Test
    void infoWithProviderJnaUsesJna() throws Exception {
        Run.Result r = Run.launch("info", "--provider", "jna");
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().contains("provider in use: jna\n"), r::toString);
    }

    @Test
    void anUnknownProviderIsAOneLineErrorAndNothingElse() throws Exception {
        Run.Result r = Run.launch("info", "--provider", "nosuch");
        assertEquals(2, r.status(), r::toString);
        assertEquals("", r.out(), r::toString);
        assertEquals(List.of("rsyscall4j: provider nosuch is not available (registered: ffm, jna)"),
                r.err().lines().toList(), r::toString);
    }

    @Test
    void noCommandOrAnUnknownOneIsAUsageError() throws Exception {
        Run.Result none = Run.launch();
        assertEquals(2, none.status(), none::toString);
        assertEquals(1, none.err().lines().count(), none::toString);
        Run.Result bogus = Run.launch("bogus");
        assertEquals(2, bogus.status(), bogus::toString);
        assertEquals(1, bogus.err().lines().count(), bogus::toString);
        assertTrue(bogus.err().contains("'bogus'"), bogus::toString);
    }

    @Test
    void theFrameworkCacheIsDeletedAtExit(@TempDir Path tmp) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(Run.java(), "-Djava.io.tmpdir=" + tmp));
        command.addAll(Run.quietFelix());
        command.addAll(List.of("-jar", Run.jarPath().toString(), "info"));
        Run.Result r = Run.command(command, Map.of());
        assertEquals(0, r.status(), r::toString);
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(), left.toList(), "nothing left in java.io.tmpdir");
        }
    }

    @Test
    void theScriptRunsTheJarWithoutWarnings() throws Exception {
        Path script = Run.jarPath().getParent().getParent().getParent().resolve("rsyscall4j");
        Run.Result r = Run.command(List.of(script.toString(), "info"),
                Map.of("JAVA_HOME", System.getProperty("java.home")));
        assertEquals(0, r.status(), r::toString);
        assertEquals("", r.err(), r::toString);
        assertTrue(r.out().contains("provider in use: ffm\n"), r::toString);
    }
}
