package io.rsyscall4j.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The launcher's cache in a world-writable, sticky directory like {@code /tmp} ({@code TMPDIR},
 * which the script passes on as {@code java.io.tmpdir}): private from its creation to its deletion
 * whatever the umask, out of reach of a racing unprivileged user, and cleaned up after a launcher
 * that was killed. The tests run as root (as CI does), the racer as uid 65534. {@code exec} makes
 * the cache only when JNA's native library must be a file ({@code --provider jna}); with FFM it
 * writes nothing at all.
 */
class PrivateCacheIT {
    private static final int NOBODY = 65534;
    private Path shared;

    @BeforeEach
    void makeASharedTmp() throws Exception {
        shared = Files.createTempDirectory("launcher-it-shared");
        assertEquals(0, Run.command(List.of("chmod", "1777", shared.toString()), Map.of()).status());
    }

    @AfterEach
    void removeIt() throws Exception {
        Run.command(List.of("rm", "-rf", shared.toString()), Map.of());
    }

    @Test
    void anUnprivilegedUserRacingOnTmpNeverGetsIntoTheCache() throws Exception {
        assertEquals("root", System.getProperty("user.name"), "this test runs the racer as another uid: run it as root");
        Path racerSource = Files.copy(Run.jarPath().getParent().getParent().resolve("src/test/racer/Racer.java"),
                shared.resolve("Racer.java"));
        Process racer = new ProcessBuilder("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups",
                Run.java(), racerSource.toString(), shared.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<String> took = new ArrayList<>();
        try (BufferedReader said = new BufferedReader(new InputStreamReader(racer.getInputStream(), StandardCharsets.UTF_8));
             OutputStream tell = racer.getOutputStream()) {
            assertEquals("READY uid " + NOBODY, said.readLine());
            for (int run = 0; run < 5; run++) {
                command(tell, said, "go", "GOING");
                Process launcher = script(Map.of("TMPDIR", shared.toString()), "exec", "--provider", "jna", "--", "sh",
                        "-c", "echo started; read line");
                try (BufferedReader out = new BufferedReader(new InputStreamReader(launcher.getInputStream(), StandardCharsets.UTF_8));
                     OutputStream in = launcher.getOutputStream()) {
                    assertEquals("started", out.readLine());
                    // The racer has seen the cache and attacks it a hundred times more while the program runs.
                    boolean saw = false;
                    long rounds = 0;
                    while (!saw || rounds < 100) {
                        tell.write("rounds\n".getBytes(StandardCharsets.UTF_8));
                        tell.flush();
                        String line;
                        do {
                            line = said.readLine();
                            saw |= line.startsWith("SAW ");
                            if (line.startsWith("TOOK ")) {
                                took.add(line);
                            }
                        } while (!line.startsWith("ROUNDS "));
                        rounds = Long.parseLong(line.substring("ROUNDS ".length()));
                    }
                    took.addAll(command(tell, said, "pause", "PAUSED"));
                    in.write('\n');
                    in.flush();
                }
                assertTrue(launcher.waitFor(Run.TIMEOUT_SECONDS, TimeUnit.SECONDS));
                assertEquals(0, launcher.exitValue());
            }
        } finally {
            racer.destroyForcibly();
        }
        assertEquals(List.of(), took, "the racer got nothing of the launcher's cache");
    }

    @Test
    void underUmask000TheCacheIs0700And0600AndTheProgramGetsTheCallersUmask() throws Exception {
        Path made = shared.resolve("made-for-the-program");
        Run.Result r = Run.command(List.of("sh", "-c", "umask 000; exec \"$0\" \"$@\"", script().toString(), "exec",
                "--provider", "jna", "--fd", "3=file:" + made + ":w", "--", "sh", "-c",
                "find \"$TMPDIR\" -path \"$TMPDIR/rsyscall4j-*\" -printf '%m %u %y %p\\n'; echo umask $(umask)"),
                Map.of("TMPDIR", shared.toString(), "JAVA_HOME", System.getProperty("java.home")));
        assertEquals(0, r.status(), r::toString);
        List<String> entries = r.out().lines().filter(l -> !l.startsWith("umask ")).toList();
        assertTrue(entries.stream().anyMatch(e -> e.startsWith("600 root f ") && e.endsWith("libjnidispatch.so")),
                "the program saw the launcher's cache, JNA's library in it: " + r);
        for (String e : entries) {
            assertTrue(e.startsWith("700 root d ") || e.startsWith("600 root f "), e + "\n" + r);
        }
        assertTrue(r.out().contains("umask 0000\n"), r::toString);
        assertEquals("rw-rw-rw-", permissions(made), "a file the launcher creates for the program follows the caller's umask");
    }

    @Test
    void execThroughFfmWritesNothingInTmpdir() throws Exception {
        Run.Result r = Run.command(List.of(script().toString(), "exec", "--", "sh", "-c", "ls -A \"$TMPDIR\""),
                Map.of("TMPDIR", shared.toString(), "JAVA_HOME", System.getProperty("java.home")));
        assertEquals(0, r.status(), r::toString);
        assertEquals("", r.out(), "nothing in TMPDIR while the program runs: " + r);
        try (Stream<Path> left = Files.list(shared)) {
            assertEquals(List.of(), left.toList(), "nor after");
        }
    }

    @Test
    @SuppressWarnings("try") // the lock held while info runs is the point; nothing reads it
    void theNextStartRemovesTheCachesOfKilledLaunchersAndNothingElse() throws Exception {
        Process killed = script(Map.of("TMPDIR", shared.toString()), "exec", "--provider", "jna", "--", "sh", "-c",
                "echo started; read line");
        try (BufferedReader out = new BufferedReader(new InputStreamReader(killed.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("started", out.readLine());
        }
        Path stale = onlyCache();
        killed.destroyForcibly();
        assertTrue(killed.waitFor(Run.TIMEOUT_SECONDS, TimeUnit.SECONDS));
        assertTrue(Files.isDirectory(stale.resolve("native")), "a SIGKILLed launcher leaves its cache");
        String deadPid = stale.getFileName().toString().split("-")[1];
        String deadStart = stale.getFileName().toString().split("-")[2];
        String prefix = "rsyscall4j-" + deadPid + "-" + deadStart + "-";

        Path otherUsers = Files.createDirectory(shared.resolve(prefix + "1"));
        Files.setPosixFilePermissions(otherUsers, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        assertEquals(0, Run.command(List.of("chown", NOBODY + ":" + NOBODY, otherUsers.toString()), Map.of()).status());
        Path victim = Files.createDirectory(shared.resolve("victim"));
        Files.writeString(victim.resolve("keep"), "x");
        Path link = Files.createSymbolicLink(shared.resolve(prefix + "2"), victim);
        Path notPrivate = Files.createDirectory(shared.resolve(prefix + "3"));
        Path locked = Files.createDirectories(shared.resolve(prefix + "4").resolve("felix"));
        Files.setPosixFilePermissions(locked.getParent(), java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        String me = Long.toString(ProcessHandle.current().pid());
        Path alive = Files.createDirectory(shared.resolve("rsyscall4j-" + me + "-" + startTime(me) + "-5"));
        Files.setPosixFilePermissions(alive, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));

        try (FileChannel lockFile = FileChannel.open(locked.resolve("cache.lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            lockFile.lock(); // held until the channel closes
            Run.Result next = Run.command(List.of(script().toString(), "info"), Map.of("TMPDIR", shared.toString(),
                    "JAVA_HOME", System.getProperty("java.home")));
            assertEquals(0, next.status(), next::toString);
            assertEquals("", next.err(), next::toString);
        }
        assertFalse(Files.exists(stale, LinkOption.NOFOLLOW_LINKS), "the killed launcher's cache is removed");
        for (Path kept : List.of(otherUsers, link, notPrivate, locked, alive)) {
            assertTrue(Files.exists(kept, LinkOption.NOFOLLOW_LINKS), kept + " is left alone");
        }
        assertTrue(Files.exists(victim.resolve("keep")), "nothing is deleted through a symbolic link");
    }

    private Path onlyCache() throws IOException {
        try (Stream<Path> all = Files.list(shared)) {
            List<Path> caches = all.filter(p -> p.getFileName().toString().startsWith("rsyscall4j-")).toList();
            assertEquals(1, caches.size(), caches::toString);
            return caches.get(0);
        }
    }

    private static String startTime(String pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", pid, "stat"), StandardCharsets.ISO_8859_1);
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ")[19];
    }

    private static String permissions(Path p) throws IOException {
        return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    private static List<String> command(OutputStream tell, BufferedReader said, String command, String answer) throws IOException {
        tell.write((command + "\n").getBytes(StandardCharsets.UTF_8));
        tell.flush();
        List<String> took = new ArrayList<>();
        for (String line = said.readLine(); !line.equals(answer); line = said.readLine()) {
            if (line.startsWith("TOOK ")) {
                took.add(line);
            }
        }
        return took;
    }

    static Path script() {
        return Run.jarPath().getParent().getParent().getParent().resolve("rsyscall4j");
    }

    private static Process script(Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(script().toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().putAll(env);
        return pb.start();
    }
}
