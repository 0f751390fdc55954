package io.rsyscall4j;

import static io.rsyscall4j.fd.OpenFlags.O_CLOEXEC;
import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.internal.FdInternals;
import java.io.IOException;
import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;

/**
 * Java's GC does the collecting: dropped handles have their fds closed by the reaper with no call
 * to runFdTableGc, runFdTableGc closes at once, and closes through a dead task are handed on.
 */
class GarbageCollectionTest {
    @TempDir
    Path dir;

    private Path file(String name) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, name);
        return p.toRealPath();
    }

    /** A dropped handle: the fd number and a reference that tells when the GC found the handle unreachable. */
    record Dropped(int number, PhantomReference<FileDescriptor> ref) {
    }

    /** Opens {@code f} and returns without keeping the handle: only the number and a phantom survive. */
    static Dropped openAndDrop(Task task, Path f) throws IOException {
        FileDescriptor fd = task.open(f.toString(), O_RDONLY);
        return new Dropped(fd.number(), new PhantomReference<>(fd, null));
    }

    @org.junit.jupiter.api.Test
    void byDefaultTheReaperThreadRuns() throws IOException {
        assertEquals(null, System.getProperty("rsyscall4j.reaper"), "this fork leaves the property unset");
        FileDescriptor fd = Rsyscall.local().open("/dev/null", O_RDONLY);
        assertTrue(Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("rsyscall4j-fd-reaper") && t.isAlive() && t.isDaemon()));
        fd.close();
    }

    @BothProviders
    void aDroppedHandlesFdIsClosedByJavaGcWithoutRunFdTableGc(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path f = file("dropped");
        Dropped d = openAndDrop(task, f);
        assertEquals(f.toString(), Kernel.target(d.number()));
        Kernel.await("fd " + d.number() + " closed by the reaper", Duration.ofSeconds(30), () -> {
            System.gc();
            return !f.toString().equals(Kernel.target(d.number()));
        });
        assertTrue(Kernel.fdsUnder(dir).isEmpty());
    }

    @BothProviders
    void runFdTableGcClosesAtOnceWhatTheGcFoundUnreachable(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path f = file("dropped");
        List<Dropped> dropped = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            dropped.add(openAndDrop(task, f));
        }
        Kernel.gcUntilCleared(dropped.stream().map(Dropped::ref).toList());
        task.runFdTableGc();
        // No waiting: when runFdTableGc returns, every fd whose handle the GC cleared is closed.
        assertEquals(List.of(), Kernel.fdsUnder(dir));
        for (Dropped d : dropped) {
            assertFalse(task.fdTable().isTracked(d.number()) && f.toString().equals(Kernel.target(d.number())));
        }
    }

    /** rsyscall's test_fd.py::test_fd_gc, on the local task. */
    @BothProviders
    void fdGc(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path f = file("gc");
        List<PhantomReference<FileDescriptor>> refs = new ArrayList<>();
        Dropped first = openAndDrop(task, f);
        refs.add(first.ref());
        for (int i = 0; i < 250; i++) {
            refs.add(openAndDrop(task, f).ref());
        }
        Kernel.gcUntilCleared(refs);
        task.runFdTableGc();
        FileDescriptor next = task.open(f.toString(), O_RDONLY);
        assertTrue(next.number() <= first.number(),
                "next open got fd " + next.number() + ", above the first dropped fd " + first.number());
        next.close();
        assertEquals(List.of(), Kernel.fdsUnder(dir));
    }

    /** A borrow of a handle that is then dropped: the borrowed fd and a phantom of the handle. */
    private record BorrowedDrop(io.rsyscall4j.fd.Borrowed borrow, PhantomReference<FileDescriptor> ref) {
    }

    private static BorrowedDrop borrowAndDrop(Task task, Path f) throws IOException {
        FileDescriptor fd = task.open(f.toString(), O_RDONLY);
        return new BorrowedDrop(fd.borrow(task), new PhantomReference<>(fd, null));
    }

    @BothProviders
    void aBorrowOutlivesTheCollectionOfItsHandleAndItsEndClosesTheFd(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path f = file("borrowed");
        BorrowedDrop d = borrowAndDrop(task, f);
        int n = d.borrow().number();
        Kernel.gcUntilCleared(List.of(d.ref()));
        task.runFdTableGc();
        assertEquals(f.toString(), Kernel.target(n), "no handle left, but still borrowed: open");
        assertEquals(0, task.fdTable().handleCount(n));
        d.borrow().close();
        assertNotEquals(f.toString(), Kernel.target(n), "the borrow's end closed it");
        assertFalse(task.fdTable().isTracked(n));
    }

    @BothProviders
    void aCollectedHandleLeavesTheFdToItsLiveSibling(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path f = file("shared");
        FileDescriptor kept = task.open(f.toString(), O_RDONLY);
        PhantomReference<FileDescriptor> sibling = new PhantomReference<>(kept.forTask(task), null);
        assertEquals(2, task.fdTable().handleCount(kept.number()));
        Kernel.gcUntilCleared(List.of(sibling));
        task.runFdTableGc();
        assertEquals(1, task.fdTable().handleCount(kept.number()));
        assertTrue(kept.isOnlyHandle());
        assertEquals(f.toString(), Kernel.target(kept.number()));
        kept.close();
    }

    /** Two handles to one fd, both dropped: only the second one taken out may leave the fd unowned. */
    private static List<PhantomReference<FileDescriptor>> openTwiceAndDrop(Task task, Path f, int[] number)
            throws IOException {
        FileDescriptor fd = task.open(f.toString(), O_RDONLY);
        number[0] = fd.number();
        return List.of(new PhantomReference<>(fd, null), new PhantomReference<>(fd.forTask(task), null));
    }

    @BothProviders
    void twoCollectedHandlesOfOneFdLeaveItToOneClose(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path f = file("twice");
        int[] number = new int[1];
        List<PhantomReference<FileDescriptor>> refs = openTwiceAndDrop(task, f, number);
        FileDescriptor kept = task.open(f.toString(), O_RDONLY);
        PhantomReference<FileDescriptor> keptSibling = new PhantomReference<>(kept.forTask(task), null);
        Kernel.gcUntilCleared(List.of(refs.get(0), refs.get(1), keptSibling));
        task.runFdTableGc();
        assertFalse(task.fdTable().isTracked(number[0]), "both handles gone: untracked");
        assertNotEquals(f.toString(), Kernel.target(number[0]), "and closed");
        assertEquals(1, task.fdTable().handleCount(kept.number()), "the collected sibling of a kept handle went alone");
        assertEquals(List.of(kept.number()), Kernel.fdsUnder(dir), "the kept handle's fd stays open");
        kept.close();
    }

    /**
     * A hangup: the task died after reading the close, which may have run (the fake runs it) and
     * freed the number for reuse: closing it again through another task could close another file.
     * The fake reuses the number at once, before the hangup is reported, as another thread's open
     * could; the reaper is stopped (its thread joined) before the check, so a retry it made is seen.
     */
    @BothProviders
    void aCloseThatHangsUpIsNotRetriedThroughAnotherTask(String provider) throws IOException {
        Task live = Rsyscall.local(provider);
        FaultInjectingSyscallInterface sysif = new FaultInjectingSyscallInterface(live.sysif());
        Task dying = Rsyscall.local(sysif);
        Path f = file("hung-up");
        FileDescriptor fd = live.open(f.toString(), O_RDONLY).move(dying);
        int n = fd.number();
        Path reusing = file("reusing");
        FileDescriptor source = live.open(reusing.toString(), O_RDONLY);
        sysif.closeFault = FaultInjectingSyscallInterface.Fault.HANGUP;
        sysif.afterHungUpClose = () -> live.sysif().syscall(Sys.DUP3, source.number(), n, O_CLOEXEC);
        assertTrue(fd.invalidate(), "the last handle went; the close is committed");
        assertFalse(live.fdTable().isTracked(n), "forgotten, not put back");
        live.runFdTableGc();
        assertTrue(FdInternals.stopReaper(Duration.ofSeconds(10)), "the reaper ended its work");
        assertEquals(1, sysif.closeAttempts(n), "never retried through the dead task");
        assertEquals(reusing.toString(), Kernel.target(n), "whatever reuses the number stays open");
        assertFalse(live.fdTable().isTracked(n), "nor tracked again");
        live.sysif().syscall(Sys.CLOSE, n);
        source.close();
        Reference.reachabilityFence(dying);
    }

    @BothProviders
    void aCloseThatCannotBeSentIsPutBackAndDoneThroughAnotherTask(String provider) throws IOException {
        closeThroughDeadTaskIsHandedOn(provider, FaultInjectingSyscallInterface.Fault.SEND_ERROR);
    }

    private void closeThroughDeadTaskIsHandedOn(String provider, FaultInjectingSyscallInterface.Fault fault)
            throws IOException {
        Task live = Rsyscall.local(provider);
        FaultInjectingSyscallInterface sysif = new FaultInjectingSyscallInterface(live.sysif());
        Task dying = Rsyscall.local(sysif);
        sysif.closeFault = fault;
        Path f = file("handed-on");
        FileDescriptor fd = live.open(f.toString(), O_RDONLY).move(dying);
        int n = fd.number();
        assertTrue(fd.invalidate(), "the last handle went; the close is committed");
        assertEquals(1, sysif.closeAttempts(n));
        assertTrue(live.fdTable().isTracked(n) || !f.toString().equals(Kernel.target(n)),
                "put back for another task (or already closed by the reaper through one)");
        live.runFdTableGc();
        assertNotEquals(f.toString(), Kernel.target(n), "closed through a live task");
        assertFalse(live.fdTable().isTracked(n));
        assertEquals(1, sysif.closeAttempts(n), "the dead task was not tried again");
        Reference.reachabilityFence(dying);
    }

    @BothProviders
    void aCloseThatFailsWithAnErrnoIsNeverRetried(String provider) throws IOException {
        Task live = Rsyscall.local(provider);
        FaultInjectingSyscallInterface sysif = new FaultInjectingSyscallInterface(live.sysif());
        Task failing = Rsyscall.local(sysif);
        Path f = file("eio");
        FileDescriptor fd = failing.open(f.toString(), O_RDONLY);
        int n = fd.number();
        sysif.closeFault = FaultInjectingSyscallInterface.Fault.EIO;
        ErrnoException e;
        try {
            e = assertThrows(ErrnoException.class, fd::close);
        } finally {
            // The task stays in the JVM's table: GC must not lose other fds through it later.
            sysif.closeFault = FaultInjectingSyscallInterface.Fault.NONE;
        }
        assertEquals("EIO", e.errnoName());
        assertTrue(e.getMessage().contains(String.valueOf(n)), e.getMessage());
        assertFalse(live.fdTable().isTracked(n), "no longer ours: on Linux a failed close releases the fd");
        assertNotEquals(f.toString(), Kernel.target(n), "released (the fake ran the close, as Linux does)");
        live.runFdTableGc();
        assertEquals(1, sysif.closeAttempts(n), "never retried");
        Reference.reachabilityFence(failing);
    }
}
