package io.rsyscall4j;

import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.fd.FDTable;
import io.rsyscall4j.fd.FDTableMismatchException;
import io.rsyscall4j.fd.FileDescriptor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;

/**
 * The multi-table half of the seed — unshareFiles, inheritFd, forTask across tables — on a real
 * second fd table: a JVM thread that unshared its table ({@link ThreadTask}), checked in
 * /proc/self/task/TID/fd and /proc/self/fd.
 */
class SecondFdTableTest {
    @TempDir
    Path dir;

    private Path file(String name) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, name);
        return p.toRealPath();
    }

    private static Set<Integer> fdsOfThread(int tid) throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/task/" + tid + "/fd"))) {
            return s.map(p -> Integer.parseInt(p.getFileName().toString())).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    @BothProviders
    void unshareFilesKeepsTheTasksHandlesAndClosesEverythingElseInItsNewTable(String provider) throws IOException {
        Task jvm = Rsyscall.local(provider);
        Path a = file("a");
        Path b = file("b");
        Path c = file("c");
        FileDescriptor ja = jvm.open(a.toString(), O_RDONLY);
        FileDescriptor jb = jvm.open(b.toString(), O_RDONLY);
        try (ThreadTask t = ThreadTask.inJvmTable(jvm)) {
            FileDescriptor ta = ja.forTask(t);
            FileDescriptor tc = t.open(c.toString(), O_RDONLY);
            FDTable old = t.fdTable();
            assertSame(jvm.fdTable(), old);

            t.unshareFiles();

            assertNotSame(old, t.fdTable(), "a fresh table");
            assertFalse(t.isManipulatingFdTable());
            assertTrue(ta.isValid() && tc.isValid() && t.stdout().isValid(), "the task's handles stay valid");
            // In the thread's new table: exactly its own fds, at the same numbers.
            assertEquals(a.toString(), Kernel.target(t.tid(), ta.number()));
            assertEquals(c.toString(), Kernel.target(t.tid(), tc.number()));
            assertNotEquals(b.toString(), Kernel.target(t.tid(), jb.number()), "the JVM's other fds are closed there");
            Set<Integer> expected = new TreeSet<>(Set.of(0, 1, 2, ta.number(), tc.number()));
            assertEquals(expected, fdsOfThread(t.tid()), "nothing but the task's own fds was kept");
            // In the JVM's table: the fd only the thread owned is closed; shared ones stay.
            assertNotEquals(c.toString(), Kernel.target(tc.number()));
            assertFalse(old.isTracked(tc.number()));
            assertEquals(a.toString(), Kernel.target(ja.number()));
            assertTrue(ja.isOnlyHandle(), "the thread's handle left the JVM's table");
            assertEquals(b.toString(), Kernel.target(jb.number()));
            // I/O through the task's handles works in its table.
            assertEquals("c", new String(tc.read(10), StandardCharsets.UTF_8));
            // Invalidating closes in the thread's table only.
            tc.close();
            assertNull(Kernel.target(t.tid(), tc.number()));
            ta.close();
            assertNull(Kernel.target(t.tid(), ta.number()));
            assertEquals(a.toString(), Kernel.target(ja.number()));
        }
        ja.close();
        jb.close();
    }

    @BothProviders
    void forTaskAcrossTablesIsAMismatch(String provider) throws IOException {
        Task jvm = Rsyscall.local(provider);
        FileDescriptor fd = jvm.open(file("a").toString(), O_RDONLY);
        try (ThreadTask t = ThreadTask.inJvmTable(jvm)) {
            t.unshareFiles();
            FDTableMismatchException e = assertThrows(FDTableMismatchException.class, () -> fd.forTask(t));
            assertTrue(e.getMessage().contains("fd " + fd.number()), e.getMessage());
            assertTrue(e.getMessage().contains(jvm.fdTable().toString()), e.getMessage());
            assertTrue(e.getMessage().contains(t.fdTable().toString()), e.getMessage());
            assertThrows(FDTableMismatchException.class, () -> fd.move(t));
            assertThrows(FDTableMismatchException.class, () -> fd.borrow(t));
            assertThrows(FDTableMismatchException.class, () -> t.stdout().dup2(fd));
            assertThrows(FDTableMismatchException.class, () -> t.inheritFd(fd), "the unshare closed the copies");
            assertTrue(fd.isOnlyHandle(), "nothing was made");
        }
        fd.close();
    }

    @BothProviders
    void inheritFdClaimsTheCopyOfAHandleThatLivedWhenTheTableWasCopied(String provider) throws IOException {
        Task jvm = Rsyscall.local(provider);
        Path a = file("a");
        Path later = file("later");
        FileDescriptor before = jvm.open(a.toString(), O_RDONLY);
        try (ThreadTask t = ThreadTask.withCopiedTable(jvm)) {
            assertNotSame(jvm.fdTable(), t.fdTable());
            FileDescriptor after = jvm.open(later.toString(), O_RDONLY);
            FileDescriptor inherited = t.inheritFd(before);
            FileDescriptor viaInherit = before.inherit(t);
            assertEquals(before.number(), inherited.number());
            assertSame(t, inherited.task());
            assertEquals(a.toString(), Kernel.target(t.tid(), inherited.number()));
            FDTableMismatchException e = assertThrows(FDTableMismatchException.class, () -> t.inheritFd(after));
            assertTrue(e.getMessage().contains("fd " + after.number()), e.getMessage());
            assertTrue(e.getMessage().contains("after the clone"), e.getMessage());
            // The copy is the thread's own: closing it leaves the JVM's fd open, and vice versa.
            viaInherit.invalidate();
            inherited.close();
            assertNull(Kernel.target(t.tid(), before.number()));
            assertEquals(a.toString(), Kernel.target(before.number()));
            after.close();
        }
        before.close();
    }

    @BothProviders
    void afterTheThreadEndsItsHandlesFailToSendAndNothingInTheJvmTableIsTouched(String provider) throws IOException {
        Task jvm = Rsyscall.local(provider);
        Path a = file("a");
        FileDescriptor fd = jvm.open(a.toString(), O_RDONLY);
        ThreadTask t = ThreadTask.inJvmTable(jvm);
        FileDescriptor copy = fd.forTask(t);
        t.unshareFiles();
        t.close();
        assertThrows(io.rsyscall4j.api.SyscallSendError.class, () -> copy.read(1));
        assertTrue(copy.invalidate(), "its close could not be sent: put back in the dead table");
        assertEquals(a.toString(), Kernel.target(fd.number()));
        assertTrue(fd.isOnlyHandle());
        fd.close();
    }

    @BothProviders
    void whileUnsharingNoHandleCanBeMadeAndAnInvalidatedFdIsClosedOnlyInTheNewTable(String provider) throws IOException {
        Task jvm = Rsyscall.local(provider);
        Path a = file("a");
        Path b = file("b");
        FileDescriptor shared = jvm.open(a.toString(), O_RDONLY);
        try (ThreadTask t = ThreadTask.inJvmTable(jvm)) {
            FileDescriptor mine = shared.forTask(t);
            FileDescriptor dropping = t.open(b.toString(), O_RDONLY);
            int droppingNumber = dropping.number();
            t.duringUnshare = () -> {
                assertTrue(t.isManipulatingFdTable());
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.makeFdHandle(999));
                assertTrue(e.getMessage().contains("manipulating"), e.getMessage());
                assertThrows(IllegalStateException.class, () -> t.open(a.toString(), O_RDONLY));
                assertThrows(IllegalStateException.class, () -> t.unshareFiles());
                // Invalidated mid-change: the number may still belong to the table being left, so it
                // must not be closed now, in the shared table.
                assertTrue(dropping.invalidate());
                assertEquals(b.toString(), Kernel.target(droppingNumber));
            };
            t.unshareFiles();
            assertFalse(t.isManipulatingFdTable());
            assertNull(Kernel.target(t.tid(), droppingNumber), "closed in the new table after the change");
            assertNotEquals(b.toString(), Kernel.target(droppingNumber), "and, owned by nobody there, in the JVM's");
            assertEquals(a.toString(), Kernel.target(t.tid(), mine.number()));
            assertEquals(a.toString(), Kernel.target(shared.number()));
        }
        shared.close();
    }

    @BothProviders
    void aFailedUnshareLeavesTheTaskInItsTableWithItsHandles(String provider) throws IOException {
        Task jvm = Rsyscall.local(provider);
        Path a = file("a");
        Path b = file("b");
        FileDescriptor shared = jvm.open(a.toString(), O_RDONLY);
        try (ThreadTask t = ThreadTask.inJvmTable(jvm)) {
            FileDescriptor mine = shared.forTask(t);
            FileDescriptor gone = t.open(b.toString(), O_RDONLY);
            FDTable table = t.fdTable();
            t.duringUnshare = () -> {
                gone.invalidate();
                throw new io.rsyscall4j.api.ErrnoException(io.rsyscall4j.api.Sys.UNSHARE, 12, null);
            };
            io.rsyscall4j.api.ErrnoException e = assertThrows(io.rsyscall4j.api.ErrnoException.class, t::unshareFiles);
            assertEquals("ENOMEM", e.errnoName());
            assertSame(table, t.fdTable(), "back in its table");
            assertFalse(t.isManipulatingFdTable());
            assertTrue(mine.isValid());
            assertEquals(2, table.handleCount(shared.number()));
            assertFalse(table.isTracked(gone.number()) && table.handleCount(gone.number()) > 0,
                    "the handle invalidated meanwhile is gone from the table");
            t.runFdTableGc();
            assertNotEquals(b.toString(), Kernel.target(gone.number()), "and its fd closed");
            mine.invalidate();
            assertEquals(a.toString(), Kernel.target(shared.number()));
        }
        shared.close();
    }
}
