package io.rsyscall4j.outside;

import static io.rsyscall4j.fd.OpenFlags.O_CREAT;
import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;
import static io.rsyscall4j.fd.OpenFlags.O_RDWR;
import static io.rsyscall4j.fd.SeekWhence.SEEK_SET;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.BothProviders;
import io.rsyscall4j.ChildProcess;
import io.rsyscall4j.ChildProcessFailedException;
import io.rsyscall4j.ChildTask;
import io.rsyscall4j.CloneFlag;
import io.rsyscall4j.Kernel;
import io.rsyscall4j.Pipe;
import io.rsyscall4j.Rsyscall;
import io.rsyscall4j.Task;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.fd.Borrowed;
import io.rsyscall4j.fd.FDTable;
import io.rsyscall4j.fd.FDTableMismatchException;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.FileDescriptorTask;
import io.rsyscall4j.fd.InvalidHandleException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/**
 * The names of the public API contract in shared/DESIGN.md, used from a package of its own, as an
 * application would: only public members compile here, so a name the fence hid breaks this build.
 */
class DesignContractTest {
    @TempDir
    Path dir;

    @BothProviders
    void theTaskAndHandleNamesWorkFromOutsideThePackages(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        assertEquals(ProcessHandle.current().pid(), local.pid());
        SyscallInterface sysif = local.sysif();
        assertEquals(provider, sysif.provider());
        assertEquals(local.pid(), sysif.syscall(Sys.GETPID));
        assertEquals(0, local.stdin().number());
        assertEquals(1, local.stdout().number());
        assertEquals(2, local.stderr().number());
        FDTable table = local.fdTable();

        Path file = dir.resolve("f");
        FileDescriptor fd = local.open(file.toString(), O_RDWR | O_CREAT, 0600);
        FileDescriptor ro = local.open(file.toString(), O_RDONLY);
        FileDescriptorTask owner = fd.task();
        assertSame(local, owner);
        assertTrue(fd.isValid() && fd.isOnlyHandle());
        fd.writeAll("hello".getBytes(StandardCharsets.US_ASCII));
        assertEquals(0, fd.lseek(0, SEEK_SET));
        byte[] buf = new byte[5];
        assertEquals(5, fd.read(buf, 0, 5));
        assertArrayEquals("hello".getBytes(StandardCharsets.US_ASCII), buf);
        assertEquals(0, fd.read(8).length);
        assertEquals(1, fd.write(new byte[] {'!'}, 0, 1));

        try (Borrowed b = fd.borrow(local)) {
            assertEquals(fd.number(), b.number());
        }
        FileDescriptor same = fd.forTask(local);
        assertFalse(fd.isOnlyHandle());
        assertThrows(IllegalStateException.class, fd::close, "close refuses while another handle exists");
        FileDescriptor moved = same.move(local);
        assertFalse(same.isValid());
        assertThrows(InvalidHandleException.class, () -> same.read(1));
        assertFalse(moved.invalidate(), "another handle remains: no close");
        assertTrue(fd.isOnlyHandle());

        FileDescriptor copy = ro.dup3(local.makeFdHandle(dupTarget(local)), 0);
        copy.disableCloexec();
        FileDescriptor copy2 = ro.dup2(copy);
        assertEquals(copy.number(), copy2.number());
        copy2.close();

        ChildTask child = local.clone();
        assertNotEquals(table, child.fdTable());
        FileDescriptor inChild = child.inheritFd(fd);
        assertEquals(fd.number(), inChild.number());
        assertThrows(FDTableMismatchException.class, () -> fd.forTask(child));
        FileDescriptor viaInherit = fd.inherit(child);
        assertSame(child, viaInherit.task());
        child.unshareFiles();
        child.runFdTableGc();
        child.exit(0);

        ChildTask sharing = local.clone(CloneFlag.FILES);
        assertSame(table, sharing.fdTable());
        Pipe pipe = local.pipe();
        FileDescriptor w = sharing.inheritFd(pipe.write());
        sharing.unshareFiles();
        w.dup2(sharing.stdout());
        ChildProcess echo = sharing.exec("/bin/sh", List.of("sh", "-c", "printf %s \"$WORD\""), Map.of("WORD", "contract"));
        assertTrue(echo.pid() > 0);
        pipe.write().close();
        assertEquals("contract", new String(readAll(pipe.read()), StandardCharsets.US_ASCII));
        assertEquals(0, echo.waitFor());
        echo.check();

        ChildTask sleeper = local.clone();
        ChildProcess sleep = sleeper.exec("/bin/sleep", List.of("sleep", "30"));
        sleep.kill(9);
        assertEquals(128 + 9, sleep.waitFor());
        assertThrows(ChildProcessFailedException.class, sleep::check);

        ErrnoException e = assertThrows(ErrnoException.class, () -> local.open(dir.resolve("none").toString(), O_RDONLY));
        assertEquals("ENOENT", e.errnoName());
        assertEquals(Sys.OPENAT, e.syscall());
        assertTrue(e.errno() > 0);

        int n = fd.number();
        fd.close();
        assertFalse(fd.isValid());
        assertNull(Kernel.target(n));
        ro.close();
        local.runFdTableGc();
    }

    /** A number no fd uses now, for dup3 to create. */
    private static int dupTarget(Task local) throws Exception {
        for (int n = 200; ; n++) {
            if (Kernel.target(n) == null && !local.fdTable().isTracked(n)) {
                return n;
            }
        }
    }

    private static byte[] readAll(FileDescriptor fd) throws Exception {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (byte[] b = fd.read(4096); b.length > 0; b = fd.read(4096)) {
            all.writeBytes(b);
        }
        fd.close();
        return all.toByteArray();
    }
}
