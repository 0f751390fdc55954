package io.rsyscall4j;

import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.api.SyscallSendError;
import io.rsyscall4j.fd.FDTableMismatchException;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.InvalidHandleException;
import io.rsyscall4j.fd.SeekWhence;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bad-input table: each row one kind of bad input, refused with a clear exception of a named
 * type whose message names what was wrong, and with no side effect — the JVM's fds (and the
 * table's tracking) are exactly as before. (Unknown {@code --fd} specs of the launcher are the
 * cli module's row: {@code FdRequestTest#refusesMalformedRequestsNamingWhatIsWrong} and the
 * launcher's {@code ExecCommandIT#badInputIsOneLineANonZeroStatusAndNoProgramRun}.)
 */
class BadInputTest {
    @TempDir
    Path dir;

    private String file(String name) throws IOException {
        return Files.writeString(dir.resolve(name), name).toRealPath().toString();
    }

    /** Runs {@code bad}, expecting {@code type} with a message containing each of {@code names}, and no fd change. */
    private static <T extends Throwable> T refused(Class<T> type, Executable bad, String... names) {
        Map<Integer, String> before = FdSnapshot.take();
        T e = assertThrows(type, bad);
        for (String n : names) {
            assertTrue(e.getMessage().contains(n), "the message names " + n + ": " + e.getMessage());
        }
        FdSnapshot.assertUnchanged(before, "after " + e);
        return e;
    }

    @BothProviders
    void aNegativeFdNumberIsRefused(String provider) {
        Task task = Rsyscall.local(provider);
        int tracked = task.fdTable().trackedNumbers().length;
        refused(IllegalArgumentException.class, () -> task.makeFdHandle(-1), "fd -1", "negative");
        assertEquals(tracked, task.fdTable().trackedNumbers().length);
    }

    @BothProviders
    void aFdNumberBeyondAnyFdTableIsRefused(String provider) {
        Task task = Rsyscall.local(provider);
        int tracked = task.fdTable().trackedNumbers().length;
        refused(IllegalArgumentException.class, () -> task.makeFdHandle(Integer.MAX_VALUE), "fd " + Integer.MAX_VALUE);
        assertFalse(task.fdTable().isTracked(Integer.MAX_VALUE));
        assertEquals(tracked, task.fdTable().trackedNumbers().length);
    }

    @BothProviders
    void adoptingATrackedNumberIsRefused(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        FileDescriptor fd = task.open(file("tracked"), O_RDONLY);
        refused(IllegalArgumentException.class, () -> task.makeFdHandle(fd.number()), "fd " + fd.number(), "already tracks");
        assertTrue(fd.isOnlyHandle(), "the refused adoption made no second handle");
        fd.close();
    }

    @BothProviders
    void everyUseOfAnInvalidatedHandleIsRefusedNamingTheFd(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        FileDescriptor fd = task.open(file("invalid"), O_RDONLY);
        FileDescriptor other = task.open(file("other"), O_RDONLY);
        int n = fd.number();
        fd.invalidate();
        Map<String, Executable> uses = new java.util.LinkedHashMap<>();
        uses.put("forTask", () -> fd.forTask(task));
        uses.put("move", () -> fd.move(task));
        uses.put("borrow", () -> fd.borrow(task));
        uses.put("inherit", () -> fd.inherit(task));
        uses.put("close", fd::close);
        uses.put("read", () -> fd.read(1));
        uses.put("read into", () -> fd.read(new byte[1], 0, 1));
        uses.put("write", () -> fd.write(new byte[1], 0, 1));
        uses.put("writeAll", () -> fd.writeAll(new byte[1]));
        uses.put("lseek", () -> fd.lseek(0, SeekWhence.SEEK_SET));
        uses.put("dup2 from", () -> fd.dup2(other));
        uses.put("dup2 onto", () -> other.dup2(fd));
        uses.put("dup3", () -> fd.dup3(other, 0));
        uses.put("disableCloexec", fd::disableCloexec);
        for (Map.Entry<String, Executable> use : uses.entrySet()) {
            InvalidHandleException e = refused(InvalidHandleException.class, use.getValue(), "fd " + n);
            assertTrue(e.getMessage().contains("no longer valid"), use.getKey() + ": " + e.getMessage());
        }
        assertFalse(fd.invalidate(), "invalidating again is allowed and does nothing");
        assertFalse(fd.isOnlyHandle());
        assertTrue(other.isOnlyHandle(), "the refused dups left the other handle as it was");
        other.close();
    }

    @BothProviders
    void handlesOfAnExitedChildAreRefusedNamingTheChild(String provider) throws IOException {
        Task local = Rsyscall.local(provider);
        ChildTask child = local.clone();
        FileDescriptor fd = child.open(file("child"), O_RDONLY);
        int pid = child.pid();
        child.exit(0);
        SyscallSendError read = refused(SyscallSendError.class, () -> fd.read(1), "read", "child task " + pid);
        assertTrue(read.getMessage().contains("gone"), read.getMessage());
        refused(SyscallSendError.class, () -> fd.lseek(0, SeekWhence.SEEK_SET), "lseek", "child task " + pid);
        refused(FDTableMismatchException.class, () -> fd.forTask(local), "fd " + fd.number());
        refused(IllegalStateException.class, () -> child.open(file("after"), O_RDONLY), "child task " + pid, "exited");
        refused(IllegalStateException.class, () -> child.clone(), "child task " + pid, "exited");
        refused(IllegalStateException.class, () -> child.exec("true", List.of("true")), "child task " + pid, "exited");
        refused(IllegalStateException.class, () -> child.exit(0), "child task " + pid, "exited");
    }

    @BothProviders
    void moreThanSixSyscallArgumentsAreRefused(String provider) throws IOException {
        Task local = Rsyscall.local(provider);
        ChildTask child = local.clone();
        try {
            for (SyscallInterface sysif : List.of(local.sysif(), child.sysif())) {
                refused(IllegalArgumentException.class, () -> sysif.syscall(Sys.GETPID, 1, 2, 3, 4, 5, 6, 7),
                        "getpid", "at most 6 arguments", "got 7");
            }
            assertEquals(child.pid(), child.sysif().syscall(Sys.GETPID), "the child still serves");
        } finally {
            child.exit(0);
        }
    }

    @BothProviders
    void pathsWithNulAreRefused(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        String real = file("real");
        String cut = real + "\0.ignored";
        refused(IllegalArgumentException.class, () -> local.open(cut, O_RDONLY), "NUL", real);
        ChildTask child = local.clone();
        try {
            refused(IllegalArgumentException.class, () -> child.open(cut, O_RDONLY), "NUL");
            refused(IllegalArgumentException.class, () -> child.exec("/bin/true\0x", List.of("true")), "NUL");
            refused(IllegalArgumentException.class, () -> child.exec("/bin/true", List.of("true", "a\0b")), "NUL");
            refused(IllegalArgumentException.class, () -> child.exec("/bin/true", List.of("true"), Map.of("A", "b\0c")), "NUL");
            child.exec("/bin/true", List.of("true")).check();
        } finally {
            if (child.state() == ChildTask.State.ALIVE) {
                child.exit(0);
            }
        }
    }

    @BothProviders
    void execOfAMissingProgramRaisesEnoentAndTheChildStaysUsable(String provider) throws Exception {
        ChildTask child = Rsyscall.local(provider).clone();
        ErrnoException e = refused(ErrnoException.class, () -> child.exec("/no/such/program", List.of("x")),
                "execve", "/no/such/program", "ENOENT");
        assertEquals(Sys.EXECVE, e.syscall());
        assertEquals(child.pid(), child.sysif().syscall(Sys.GETPID), "the child still serves");
        FileDescriptor fd = child.open(file("usable"), O_RDONLY);
        assertEquals(file("usable"), ChildTestSupport.link(child.pid(), fd.number()));
        fd.close();
        child.exec("true", List.of("true")).check();
    }

    @BothProviders
    void anUnknownProviderNameIsRefusedNamingTheAvailableOnes(String provider) {
        Rsyscall.local(provider);
        IllegalArgumentException e = refused(IllegalArgumentException.class, () -> Rsyscall.local("no-such-provider"),
                "\"no-such-provider\"", "ffm", "jna");
        assertTrue(e.getMessage().contains("available"), e.getMessage());
    }
}
