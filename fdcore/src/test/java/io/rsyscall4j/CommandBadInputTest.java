package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.fd.FileDescriptor;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input to {@link Command}: one exception naming what was wrong, nothing started (the program
 * would have left a marker file), and no fd added to the JVM's table, nor its 0, 1 or 2 lost.
 */
class CommandBadInputTest {

    @TempDir
    Path dir;

    private <T extends Throwable> T refused(Class<T> type, Executable start, String... named) throws Exception {
        // The first program starts the thread that watches every process, with its epoll and eventfd.
        assertEquals(0, Command.of("true").start().waitFor());
        Map<Integer, String> before = ChildTestSupport.fds(ProcessHandle.current().pid());
        T e = assertThrows(type, start);
        for (String n : named) {
            assertTrue(e.getMessage().contains(n), "\"" + e.getMessage() + "\" names " + n);
        }
        assertFalse(Files.exists(dir.resolve("marker")), "nothing was started");
        // At once, not after a GC: nothing is left for the reaper to find. Fds of the snapshot may
        // be gone: earlier tests' dropped handles, which the reaper closes whenever a GC finds them.
        Map<Integer, String> after = ChildTestSupport.fds(ProcessHandle.current().pid());
        Map<Integer, String> added = new TreeMap<>(after);
        added.entrySet().removeAll(before.entrySet());
        assertEquals(Map.of(), added, "the JVM's fds: nothing added");
        for (int stdio = 0; stdio < 3; stdio++) {
            assertEquals(before.get(stdio), after.get(stdio), "the JVM's fd " + stdio + " as it was");
        }
        return e;
    }

    private Command touch(String... extra) {
        Command c = Command.of("touch", dir.resolve("marker").toString());
        c.command().addAll(java.util.List.of(extra));
        return c;
    }

    @BothProviders
    void anUnknownProgramIsNamed(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        ErrnoException e = refused(ErrnoException.class,
                () -> Command.of("rsyscall4j-no-such-program", "x").start(local), "rsyscall4j-no-such-program", "ENOENT");
        assertEquals("ENOENT", e.errnoName());
        refused(ErrnoException.class, () -> Command.of("/no/such/program").output(local), "/no/such/program");
    }

    @BothProviders
    void aMissingDirectoryIsNamed(String provider) throws Exception {
        Path missing = dir.resolve("missing");
        ErrnoException e = refused(ErrnoException.class, () -> touch().directory(missing).start(Rsyscall.local(provider)),
                missing.toString(), "ENOENT");
        assertEquals("ENOENT", e.errnoName());
    }

    @BothProviders
    void aNulInAnArgumentOrTheEnvironmentIsNamed(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        refused(IllegalArgumentException.class, () -> touch("a\0b").start(local), "argument 2", "NUL");
        Command env = touch();
        env.environment().put("RSYSCALL4J_X", "a\0b");
        refused(IllegalArgumentException.class, () -> env.start(local), "RSYSCALL4J_X", "NUL");
        Command name = touch();
        name.environment().put("A\0B", "x");
        refused(IllegalArgumentException.class, () -> name.start(local), "A\\0B");
    }

    @BothProviders
    void anFdNumberGivenTwiceIsNamed(String provider) throws Exception {
        FileDescriptor in = Rsyscall.local(provider).stdin();
        Command c = touch().fd(5, in);
        refused(IllegalArgumentException.class, () -> c.fd(5, in), "fd 5 given twice");
    }

    @BothProviders
    void anFdNumberBeyondTheLimitIsNamed(String provider) throws Exception {
        // Put in place in the round trip before the exec, whose failure must stop the exec: the
        // program by its full path, so that the exec would succeed.
        FileDescriptor in = Rsyscall.local(provider).stdin();
        Command c = touch().inheritIO().fd(1 << 30, in);
        c.command().set(0, ChildTestSupport.onPath("touch"));
        ErrnoException e = refused(ErrnoException.class, () -> c.start(Rsyscall.local(provider)), "fd " + (1 << 30),
                "EBADF");
        assertEquals("EBADF", e.errnoName());
    }

    @BothProviders
    void aMissingInputFileOrBadRedirectIsNamedAndClosesWhatWasOpened(String provider) throws Exception {
        Path missing = dir.resolve("no-input");
        refused(ErrnoException.class, () -> touch().redirectOutput(Redirect.DISCARD)
                .redirectInput(Redirect.from(missing.toFile())).start(Rsyscall.local(provider)), missing.toString());
        refused(IllegalArgumentException.class, () -> touch().redirectOutput(Redirect.from(missing.toFile())),
                "Redirect invalid for writing");
        refused(IllegalArgumentException.class, () -> touch().redirectInput(Redirect.DISCARD), "Redirect invalid for reading");
        // After all that, the same command starts.
        assertEquals(0, touch().start(Rsyscall.local(provider)).waitFor());
        assertTrue(Files.exists(dir.resolve("marker")));
    }
}
