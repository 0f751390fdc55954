package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@link JvmDeathGuard} on the real kernel. The JVM cannot die in a unit test, so the guardian
 * here watches another process (package-private {@code guard(child, pid)}; the public
 * {@code guard(child)} watches the JVM: the launcher's {@code SetuidProgramIT} kills a JVM).
 */
class JvmDeathGuardTest {
    private static final Duration LIMIT = Duration.ofSeconds(30);

    @BothProviders
    @SuppressWarnings("try") // the guard is only held open
    void whenTheWatchedProcessEndsTheGuardianKillsTheGuardedProgramAndExits(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        ChildProcess watched = local.clone().exec("sleep", List.of("sleep", "1000"));
        ChildTask child = local.clone();
        Set<Long> before = children();
        try (JvmDeathGuard guard = JvmDeathGuard.guard(child, (int) watched.pid())) {
            long guardian = newChild(before);
            ChildProcess program = child.exec("sleep", List.of("sleep", "1000"));
            assertTrue(Files.exists(Path.of("/proc/" + guardian)), "the guardian runs");
            watched.kill(9);
            assertEquals(128 + 9, watched.waitFor());
            try (Deadline d = new Deadline(LIMIT)) {
                assertEquals(128 + 9, (int) d.call("waiting for the guarded program", program::waitFor),
                        "the guardian killed the program");
            }
        }
    }

    @BothProviders
    void closingTheGuardEndsTheGuardianAndLeavesTheProgramAndTheJvmsFdsAsBefore(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        long pidfdsBefore = pidfds();
        ChildTask child = local.clone();
        Set<Long> before = children();
        JvmDeathGuard guard = JvmDeathGuard.guard(child);
        long guardian = newChild(before);
        ChildProcess program = child.exec("sleep", List.of("sleep", "1000"));
        guard.close();
        guard.close();
        assertFalse(Files.exists(Path.of("/proc/" + guardian)), "the guardian is killed and reaped");
        assertFalse(ChildTestSupport.status(program.pid(), "State").startsWith("Z"), "the program runs on");
        program.kill(9);
        assertEquals(128 + 9, program.waitFor());
        assertEquals(pidfdsBefore, pidfds(), "the guard's pidfds are closed");
    }

    @BothProviders
    void aChildThatHasExecdCannotBeGuarded(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        ChildTask child = local.clone();
        ChildProcess program = child.exec("true", List.of("true"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> JvmDeathGuard.guard(child));
        assertTrue(e.getMessage().contains("child task " + child.pid()), e.getMessage());
        program.check();
    }

    /** The pids of the JVM's children. */
    private static Set<Long> children() {
        return ProcessHandle.current().children().map(ProcessHandle::pid).collect(Collectors.toSet());
    }

    /** The one child of the JVM that is not in {@code before}: the guardian a guard just made. */
    private static long newChild(Set<Long> before) {
        List<Long> made = ProcessHandle.current().children().map(ProcessHandle::pid)
                .filter(pid -> !before.contains(pid)).toList();
        assertEquals(1, made.size(), "the guard made one process: " + made);
        return made.get(0);
    }

    /** How many pidfds the JVM holds. */
    private static long pidfds() throws Exception {
        long n = 0;
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : fds.toList()) {
                try {
                    n += Files.readSymbolicLink(p).toString().equals("anon_inode:[pidfd]") ? 1 : 0;
                } catch (java.io.IOException closedMeanwhile) {
                    // the listing's own fd, or one closed since
                }
            }
        }
        return n;
    }
}
