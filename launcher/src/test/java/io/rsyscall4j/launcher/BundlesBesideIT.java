package io.rsyscall4j.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundle jars beside the launcher jar ({@code bundles/}, on the JVM's class path through the
 * jar's manifest): exec loads the rsyscall4j bundles from there and JNA from memory; a launcher
 * whose directory, {@code bundles/}, a jar in it or a directory above them another user could
 * write (a sticky one aside), or that is not root's or the user's, refuses to run with one line
 * and runs nothing; the jar alone still runs
 * (the bundles from inside it). The script refuses an AOT cache under the same rule. Copies of
 * the built launcher in a private temporary directory; needs root (as CI runs) for {@code chown}.
 */
class BundlesBesideIT {
    private static final String NOBODY = "65534";

    @TempDir
    Path tmp;
    private Path launcher;
    private Path jar;

    @BeforeEach
    void copyTheLauncher() throws IOException {
        launcher = tmp.resolve("launcher");
        Files.createDirectory(launcher);
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        jar = Files.copy(Run.jarPath(), launcher.resolve("rsyscall4j.jar"));
        Path bundles = Files.createDirectory(launcher.resolve(BesideJar.DIR));
        try (Stream<Path> built = Files.list(Run.jarPath().resolveSibling(BesideJar.DIR))) {
            for (Path b : built.toList()) {
                Files.copy(b, bundles.resolve(b.getFileName()));
            }
        }
    }

    @Test
    void execLoadsTheBundlesFromBesideTheJarAndJnaFromMemory() throws Exception {
        Path log = tmp.resolve("classes.log");
        Run.Result r = run(List.of("-Xlog:class+load=info:file=" + log), "exec", "--provider", "jna", "--", "true");
        assertEquals(0, r.status(), r::toString);
        List<String> loaded = Files.readAllLines(log);
        assertTrue(loaded.stream().anyMatch(l -> l.contains(" io.rsyscall4j.cli.PlainCli source: file:"
                + launcher.resolve("bundles/rsyscall4j-cli.jar"))), "the cli from bundles/: " + loaded);
        assertTrue(loaded.stream().anyMatch(l -> l.contains(" com.sun.jna.Native source: rsyscall4j-bundle:jna.jar")),
                "JNA from memory: " + loaded);
    }

    @Test
    void aBundleJarOthersCanWriteIsRefused() throws Exception {
        Path cli = launcher.resolve("bundles/rsyscall4j-cli.jar");
        Files.setPosixFilePermissions(cli, PosixFilePermissions.fromString("rw-rw-r--"));
        assertRefused("rsyscall4j: will not load code from " + cli + ": it is writable by group or others (mode 0664)");
    }

    @Test
    void aBundleJarOfAnotherUserIsRefused() throws Exception {
        Path api = launcher.resolve("bundles/rsyscall4j-api.jar");
        command("chown", NOBODY, api.toString());
        assertRefused("rsyscall4j: will not load code from " + api + ": it is owned by uid " + NOBODY
                + ", neither root nor uid 0");
    }

    @Test
    void aDirectoryOthersCanWriteIsRefusedEvenWithoutBundles() throws Exception {
        command("rm", "-r", launcher.resolve("bundles").toString());
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertRefused("rsyscall4j: will not load code from " + launcher + ": it is writable by group or others (mode 0777)");
    }

    @Test
    void aLinkedBundlesDirectoryIsRefused() throws Exception {
        command("rm", "-r", launcher.resolve("bundles").toString());
        Path link = Files.createSymbolicLink(launcher.resolve("bundles"), Run.jarPath().resolveSibling(BesideJar.DIR));
        try {
            assertRefused("rsyscall4j: will not load code from " + link
                    + ": it is not a directory or a regular file (a symbolic link?)");
        } finally {
            Files.delete(link);
        }
    }

    @Test
    void aDirectoryAboveOthersCanWriteIsRefused() throws Exception {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertRefused("rsyscall4j: will not load code from " + launcher + ": " + tmp
                + ", a directory above it, is writable by group or others without the sticky bit (mode 0777)");
    }

    @Test
    void aDirectoryAboveOfAnotherUserIsRefused() throws Exception {
        command("chown", NOBODY, tmp.toString());
        assertRefused("rsyscall4j: will not load code from " + launcher + ": " + tmp
                + ", a directory above it, is owned by uid " + NOBODY + ", neither root nor uid 0");
    }

    @Test
    void aStickyDirectoryAboveOthersCanWriteIsAccepted() throws Exception {
        command("chmod", "1777", tmp.toString());
        assertRuns(jar);
    }

    @Test
    void aLinkToTheDirectoryRunsWhereNoOtherUserCanReplaceIt() throws Exception {
        assertRuns(linkToLauncherIn("closed", "rwxr-xr-x").resolve(jar.getFileName()));
    }

    @Test
    void aLinkToTheDirectoryInADirectoryOthersCanWriteIsRefused() throws Exception {
        Path link = linkToLauncherIn("open", "rwxrwxrwx");
        assertRefused(link.resolve(jar.getFileName()), "rsyscall4j: will not load code from " + link + ": "
                + link.getParent() + ", a directory above it, is writable by group or others without the sticky bit"
                + " (mode 0777)");
    }

    @Test
    void theJarAloneRunsTheBundlesInsideIt() throws Exception {
        command("rm", "-r", launcher.resolve("bundles").toString());
        assertRuns(jar);
    }

    @Test
    void theScriptRefusesAnAotCacheOthersCanWrite() throws Exception {
        Path aot = scriptTreeWithCache();
        Files.setPosixFilePermissions(aot, PosixFilePermissions.fromString("rw-rw-rw-"));
        assertScriptRefuses(aot, "rsyscall4j: will not load code from " + aot
                + ": it is writable by group or others (mode 0666)");
    }

    @Test
    void theScriptRefusesAnAotCacheUnderADirectoryOthersCanWrite() throws Exception {
        Path aot = scriptTreeWithCache();
        Path tree = aot.getParent().getParent().getParent();
        Files.setPosixFilePermissions(tree, PosixFilePermissions.fromString("rwxrwxr-x"));
        assertScriptRefuses(aot, "rsyscall4j: will not load code from " + aot.getParent() + ": " + tree
                + ", a directory above it, is writable by group or others without the sticky bit (mode 0775)");
    }

    /** A tree with the script and {@code launcher/target/} holding the jar and a fake AOT cache; returns the cache. */
    private Path scriptTreeWithCache() throws IOException {
        Path tree = tmp.resolve("tree");
        Path target = Files.createDirectories(tree.resolve("launcher/target"));
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.copy(PrivateCacheIT.script(), tree.resolve("rsyscall4j"));
        Files.copy(jar, target.resolve("rsyscall4j.jar"));
        return Files.writeString(target.resolve("rsyscall4j.aot"), "not a cache: never mapped");
    }

    /** The tree's script, run with the cache at {@code aot}, says {@code line} and runs nothing. */
    private void assertScriptRefuses(Path aot, String line) throws Exception {
        Path script = aot.getParent().getParent().resolveSibling("rsyscall4j");
        Path marker = tmp.resolve("marker");
        Run.Result r = Run.command(List.of(script.toString(), "exec", "--", "touch", marker.toString()),
                Map.of("JAVA_HOME", System.getProperty("java.home")));
        assertEquals(1, r.status(), r::toString);
        assertEquals(line + "\n", r.err(), r::toString);
        assertFalse(Files.exists(marker), "nothing ran");
    }

    /** A link {@code NAME/link} to the launcher's directory, in a new directory of mode {@code permissions}. */
    private Path linkToLauncherIn(String name, String permissions) throws IOException {
        Path dir = Files.createDirectory(tmp.resolve(name));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(permissions));
        return Files.createSymbolicLink(dir.resolve("link"), launcher);
    }

    private void assertRuns(Path jar) throws Exception {
        Run.Result r = run(List.of(), jar, "exec", "--", "echo", "ran");
        assertEquals(0, r.status(), r::toString);
        assertEquals("ran\n", r.out(), r::toString);
    }

    private void assertRefused(String line) throws Exception {
        assertRefused(jar, line);
    }

    private void assertRefused(Path jar, String line) throws Exception {
        Path marker = tmp.resolve("marker");
        Run.Result r = run(List.of(), jar, "exec", "--", "touch", marker.toString());
        assertEquals(1, r.status(), r::toString);
        assertEquals(line + "\n", r.err(), r::toString);
        assertFalse(Files.exists(marker), "nothing ran");
    }

    /** {@code java OPTIONS -jar COPY ARGS}. */
    private Run.Result run(List<String> options, String... args) throws Exception {
        return run(options, jar, args);
    }

    /** {@code java OPTIONS -jar JAR ARGS}. */
    private Run.Result run(List<String> options, Path jar, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Run.java()));
        command.addAll(Run.quietFelix());
        command.addAll(options);
        command.addAll(List.of("-jar", jar.toString()));
        command.addAll(List.of(args));
        return Run.command(command, Map.of());
    }

    private static void command(String... command) throws Exception {
        Process p = new ProcessBuilder(command).inheritIO().start();
        assertEquals(0, p.waitFor(), String.join(" ", command));
    }
}
