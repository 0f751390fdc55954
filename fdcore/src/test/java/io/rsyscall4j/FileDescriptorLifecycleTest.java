package io.rsyscall4j;

import static io.rsyscall4j.fd.OpenFlags.O_CREAT;
import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;
import static io.rsyscall4j.fd.OpenFlags.O_RDWR;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.fd.Borrowed;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.InvalidHandleException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed's lifecycle on the local task: invalidate, close, forTask, move, borrow, inherit,
 * makeFdHandle, isOnlyHandle — each checked against what /proc/self/fd says the number refers to.
 */
class FileDescriptorLifecycleTest {
    @TempDir
    Path dir;

    private Path file(String name) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, name);
        return p.toRealPath();
    }

    /** The other provider's local task: a second task in the same (the JVM's) fd table. */
    private static Task other(String provider) {
        return Rsyscall.local(provider.equals("ffm") ? "jna" : "ffm");
    }

    @BothProviders
    void openedHandleRefersToItsFile(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path f = file("a");
        FileDescriptor fd = task.open(f.toString(), O_RDONLY);
        assertEquals(f.toString(), Kernel.target(fd.number()));
        assertTrue(fd.isValid());
        assertSame(task, fd.task());
        fd.close();
    }

    @BothProviders
    void invalidatingTheLastHandleClosesTheFd(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path f = file("a");
        FileDescriptor fd = task.open(f.toString(), O_RDONLY);
        int n = fd.number();
        assertTrue(fd.invalidate());
        assertFalse(fd.isValid());
        assertNotEquals(f.toString(), Kernel.target(n));
        assertFalse(fd.invalidate(), "invalidating an invalid handle does nothing");
    }

    @BothProviders
    void invalidatingOneOfTwoHandlesKeepsTheFdOpen(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path f = file("a");
        FileDescriptor a = task.open(f.toString(), O_RDONLY);
        FileDescriptor b = a.forTask(other(provider));
        assertFalse(a.invalidate());
        assertEquals(f.toString(), Kernel.target(b.number()));
        assertTrue(b.isOnlyHandle());
        assertTrue(b.invalidate());
        assertNotEquals(f.toString(), Kernel.target(a.number()));
    }

    @BothProviders
    void closeOfTheOnlyHandleClosesTheFd(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path f = file("a");
        FileDescriptor fd = task.open(f.toString(), O_RDONLY);
        int n = fd.number();
        fd.close();
        assertFalse(fd.isValid());
        assertNotEquals(f.toString(), Kernel.target(n));
    }

    @BothProviders
    void closeIsRefusedWhileOtherHandlesExistAndClosesNothing(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path f = file("a");
        FileDescriptor a = task.open(f.toString(), O_RDONLY);
        FileDescriptor b = a.forTask(task);
        IllegalStateException e = assertThrows(IllegalStateException.class, a::close);
        assertTrue(e.getMessage().contains("fd " + a.number()), e.getMessage());
        assertTrue(e.getMessage().contains("1 other handles"), e.getMessage());
        assertTrue(a.isValid());
        assertEquals(f.toString(), Kernel.target(a.number()));
        b.invalidate();
        a.close();
        assertNotEquals(f.toString(), Kernel.target(a.number()));
    }

    @BothProviders
    void anInvalidHandleRefusesEveryUse(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        FileDescriptor fd = task.open(file("a").toString(), O_RDONLY);
        fd.invalidate();
        InvalidHandleException e = assertThrows(InvalidHandleException.class, fd::close);
        assertTrue(e.getMessage().contains("fd " + fd.number()), e.getMessage());
        assertTrue(e.getMessage().contains("no longer valid"), e.getMessage());
        assertThrows(InvalidHandleException.class, () -> fd.forTask(task));
        assertThrows(InvalidHandleException.class, () -> fd.move(task));
        assertThrows(InvalidHandleException.class, () -> fd.borrow(task));
        assertThrows(InvalidHandleException.class, () -> fd.read(1));
        assertThrows(InvalidHandleException.class, () -> fd.write(new byte[1], 0, 1));
        assertThrows(InvalidHandleException.class, () -> fd.lseek(0, 0));
        assertThrows(InvalidHandleException.class, fd::disableCloexec);
        assertThrows(InvalidHandleException.class, () -> task.inheritFd(fd));
        assertFalse(fd.isOnlyHandle());
    }

    @BothProviders
    void forTaskGivesTheOtherLocalTaskAHandleToTheSameFd(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Task other = other(provider);
        assertSame(task.fdTable(), other.fdTable(), "all local tasks share the JVM's one fd table");
        Path f = file("a");
        FileDescriptor a = task.open(f.toString(), O_RDONLY);
        FileDescriptor b = a.forTask(other);
        assertSame(other, b.task());
        assertEquals(a.number(), b.number());
        assertFalse(a.isOnlyHandle());
        assertEquals(2, task.fdTable().handleCount(a.number()));
        assertEquals("a", new String(b.read(10)), "reads through the other provider");
        a.invalidate();
        b.invalidate();
        assertNotEquals(f.toString(), Kernel.target(a.number()));
    }

    @BothProviders
    void moveHandsTheFdOverWithoutClosingIt(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Task other = other(provider);
        Path f = file("a");
        FileDescriptor a = task.open(f.toString(), O_RDONLY);
        FileDescriptor b = a.move(other);
        assertFalse(a.isValid());
        assertTrue(b.isValid());
        assertTrue(b.isOnlyHandle());
        assertEquals(f.toString(), Kernel.target(b.number()));
        b.close();
        assertNotEquals(f.toString(), Kernel.target(b.number()));
    }

    @BothProviders
    void borrowLendsTheNumberToATaskOfTheSameTable(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path f = file("a");
        FileDescriptor fd = task.open(f.toString(), O_RDONLY);
        try (Borrowed b = fd.borrow(other(provider))) {
            assertEquals(fd.number(), b.number());
            assertSame(other(provider), b.task());
            // The borrowed number works in the borrowing task's syscalls.
            assertEquals(1, other(provider).sysif().syscall(Sys.LSEEK, b.number(), 1, 0));
        }
        assertTrue(fd.isOnlyHandle(), "a borrow is not a handle");
        fd.close();
    }

    @BothProviders
    void aBorrowKeepsTheFdOpenAcrossInvalidationOfItsLastHandle(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path f = file("a");
        FileDescriptor fd = task.open(f.toString(), O_RDONLY);
        int n = fd.number();
        Borrowed b = fd.borrow(task);
        assertTrue(fd.invalidate(), "the last handle went: the close is committed");
        assertEquals(f.toString(), Kernel.target(n), "but the fd stays open while borrowed");
        assertTrue(task.fdTable().isTracked(n), "and its number stays taken");
        assertThrows(IllegalArgumentException.class, () -> task.makeFdHandle(n));
        b.close();
        assertNotEquals(f.toString(), Kernel.target(n), "the end of the borrow closes it");
        assertFalse(task.fdTable().isTracked(n));
        b.close(); // idempotent
    }

    @BothProviders
    void inheritFdInTheSameTableIsForTask(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path f = file("a");
        FileDescriptor a = task.open(f.toString(), O_RDONLY);
        FileDescriptor b = other(provider).inheritFd(a);
        FileDescriptor c = a.inherit(task);
        assertEquals(a.number(), b.number());
        assertEquals(3, task.fdTable().handleCount(a.number()));
        a.invalidate();
        b.invalidate();
        assertEquals(f.toString(), Kernel.target(c.number()));
        c.close();
        assertNotEquals(f.toString(), Kernel.target(c.number()));
    }

    @BothProviders
    void makeFdHandleAdoptsAnFdUnknownToTheTable(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path f = file("a");
        FileDescriptor fd = task.open(f.toString(), O_RDONLY);
        // A raw fd rsyscall4j knows nothing of, as if inherited from outside.
        int raw = (int) task.sysif().syscall(Sys.DUP, fd.number());
        assertFalse(task.fdTable().isTracked(raw));
        FileDescriptor adopted = task.makeFdHandle(raw);
        assertEquals(raw, adopted.number());
        assertTrue(adopted.isOnlyHandle());
        adopted.close();
        assertNotEquals(f.toString(), Kernel.target(raw));
        fd.close();
    }

    @BothProviders
    void makeFdHandleRefusesATrackedOrNegativeNumber(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        FileDescriptor fd = task.open(file("a").toString(), O_RDONLY);
        IllegalArgumentException tracked = assertThrows(IllegalArgumentException.class,
                () -> task.makeFdHandle(fd.number()));
        assertTrue(tracked.getMessage().contains("fd " + fd.number()), tracked.getMessage());
        assertTrue(tracked.getMessage().contains("already tracks"), tracked.getMessage());
        assertTrue(fd.isOnlyHandle(), "the refusal made no handle");
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> task.makeFdHandle(-3));
        assertTrue(negative.getMessage().contains("fd -3"), negative.getMessage());
        assertThrows(IllegalArgumentException.class, () -> fd.read(-1));
        fd.close();
    }

    @BothProviders
    void stdioHandlesAreAdoptedOncePerTableAndHeldByEveryLocalTask(String provider) {
        Task task = Rsyscall.local(provider);
        assertEquals(0, task.stdin().number());
        assertEquals(1, task.stdout().number());
        assertEquals(2, task.stderr().number());
        assertSame(task, task.stdout().task());
        assertTrue(task.stdout().isValid());
        assertFalse(task.stdout().isOnlyHandle(), "every local task has its own handle to fd 1");
        assertThrows(IllegalArgumentException.class, () -> task.makeFdHandle(1));
    }

    @BothProviders
    void isOnlyHandleCountsTheHandlesOfTheNumber(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        FileDescriptor a = task.open(file("a").toString(), O_RDWR | O_CREAT, 0600);
        assertTrue(a.isOnlyHandle());
        FileDescriptor b = a.forTask(task);
        assertFalse(a.isOnlyHandle());
        assertFalse(b.isOnlyHandle());
        b.invalidate();
        assertTrue(a.isOnlyHandle());
        a.close();
        assertFalse(a.isOnlyHandle());
    }

    @BothProviders
    void unshareFilesIsRefusedOnTheLocalTask(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path f = file("a");
        FileDescriptor fd = task.open(f.toString(), O_RDONLY);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, task::unshareFiles);
        assertTrue(e.getMessage().contains("fd tables"), e.getMessage());
        assertTrue(e.getMessage().contains("local task"), e.getMessage());
        assertSame(Rsyscall.local(provider).fdTable(), task.fdTable(), "still in the JVM's table");
        assertFalse(task.isManipulatingFdTable());
        assertEquals(f.toString(), Kernel.target(fd.number()));
        fd.close();
    }

    @BothProviders
    void theLocalTaskIsTheJvmProcess(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        assertEquals(ProcessHandle.current().pid(), task.pid());
        assertEquals(provider, task.sysif().provider());
        assertSame(task, Rsyscall.local(provider), "cached per provider");
        assertEquals(task.pid(), task.fdTable().creatorPid());
    }

    @BothProviders
    void numbersAreReusedOnlyAfterTheClose(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path f = file("a");
        FileDescriptor a = task.open(f.toString(), O_RDONLY);
        FileDescriptor b = a.forTask(task);
        a.invalidate();
        FileDescriptor c = task.open(f.toString(), O_RDONLY);
        assertNotEquals(a.number(), c.number(), "still owned by b, so not free for the kernel to reuse");
        b.invalidate();
        c.close();
    }
}
