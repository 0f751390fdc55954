package io.rsyscall4j;

import static io.rsyscall4j.GarbageCollectionTest.openAndDrop;
import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.GarbageCollectionTest.Dropped;
import io.rsyscall4j.fd.FileDescriptor;
import java.io.IOException;
import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code -Drsyscall4j.reaper=false}: no background thread closes the fds of dropped handles;
 * they stay open, and tracked, until {@link Task#runFdTableGc} closes them, as in rsyscall.
 *
 * <p>The property is read once per JVM, so this class runs in a surefire fork of its own that
 * sets it (see fdcore's pom). The default, reaper on, is proved in the other fork by
 * {@code GarbageCollectionTest.aDroppedHandlesFdIsClosedByJavaGcWithoutRunFdTableGc} (closed with
 * no call) and {@code GarbageCollectionTest.byDefaultTheReaperThreadRuns}.
 */
class ReaperOffTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void runsWithTheReaperOff() {
        assertEquals("false", System.getProperty("rsyscall4j.reaper"),
                "ReaperOffTest must run in the fork fdcore's pom starts with -Drsyscall4j.reaper=false");
    }

    private Path file(String name) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, name);
        return p.toRealPath();
    }

    private static boolean reaperThreadRuns() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("rsyscall4j-fd-reaper") && t.isAlive());
    }

    @Test
    void noReaperThreadIsStarted() throws IOException {
        FileDescriptor fd = Rsyscall.local().open("/dev/null", O_RDONLY);
        assertFalse(reaperThreadRuns(), "handles exist, and no thread named rsyscall4j-fd-reaper does");
        fd.close();
    }

    @BothProviders
    void aDroppedHandlesFdStaysOpenUntilRunFdTableGc(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Path f = file("dropped");
        List<Dropped> dropped = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            dropped.add(openAndDrop(task, f));
        }
        Kernel.gcUntilCleared(dropped.stream().map(Dropped::ref).toList());
        // More collections, and an explicit close in the same table (which would hand the reaper
        // any pending work if it ran): the dropped fds are still open and still ours.
        System.gc();
        task.open(f.toString(), O_RDONLY).close();
        System.gc();
        assertFalse(reaperThreadRuns());
        for (Dropped d : dropped) {
            assertEquals(f.toString(), Kernel.target(d.number()), "fd " + d.number() + " still open");
            assertTrue(task.fdTable().isTracked(d.number()), "fd " + d.number() + " still tracked");
        }
        assertEquals(20, Kernel.fdsUnder(dir).size());

        task.runFdTableGc();
        // When runFdTableGc returns, every one of them is closed and forgotten.
        assertEquals(List.of(), Kernel.fdsUnder(dir));
        for (Dropped d : dropped) {
            assertFalse(task.fdTable().isTracked(d.number()), "fd " + d.number() + " untracked");
        }
    }

    /**
     * With no reaper, only the GC {@code exec} runs first closes a dropped handle's fd in a child
     * with a table of its own: its close-on-exec was cleared, and the table still tracks it (so
     * exec's marking of unowned fds passes it by).
     */
    @BothProviders
    void aDroppedHandleWhoseCloseOnExecWasClearedDoesNotReachTheExecdProgram(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        Pipe out = local.pipe();
        ChildTask child = local.clone();
        FileDescriptor stdout = child.inheritFd(out.write()).dup2(child.stdout()); // kept: exec's GC would close it
        Dropped d = openWithoutCloseOnExecAndDrop(child, file("dropped"));
        Kernel.gcUntilCleared(List.of(d.ref()));
        assertTrue(child.fdTable().isTracked(d.number()), "the dropped handle's fd is still the table's");
        ChildProcess ls = child.exec("ls", List.of("ls", "/proc/self/fd"));
        Reference.reachabilityFence(stdout);
        out.write().close();
        String listing = ChildTaskTest.readAll(out.read());
        ls.check();
        assertEquals(List.of("0", "1", "2", "3"), List.of(listing.split("\n")),
                "fds 0-2 and ls's directory fd; not fd " + d.number() + " of the dropped handle");
        out.read().close();
    }

    private static Dropped openWithoutCloseOnExecAndDrop(Task task, Path f) throws IOException {
        FileDescriptor fd = task.open(f.toString(), O_RDONLY);
        fd.disableCloexec();
        return new Dropped(fd.number(), new PhantomReference<>(fd, null));
    }

    @BothProviders
    void aCloseThatCannotBeSentWaitsForTheNextRunFdTableGc(String provider) throws IOException {
        Task live = Rsyscall.local(provider);
        FaultInjectingSyscallInterface sysif = new FaultInjectingSyscallInterface(live.sysif());
        Task dying = Rsyscall.local(sysif);
        sysif.closeFault = FaultInjectingSyscallInterface.Fault.SEND_ERROR;
        Path f = file("unsent");
        FileDescriptor fd = live.open(f.toString(), O_RDONLY).move(dying);
        int n = fd.number();
        assertTrue(fd.invalidate(), "the last handle went; the close is committed");
        assertEquals(1, sysif.closeAttempts(n));
        // Put back, and with no reaper to hand it to, left for runFdTableGc.
        System.gc();
        assertTrue(live.fdTable().isTracked(n), "put back for another task");
        assertEquals(f.toString(), Kernel.target(n), "still open");
        live.runFdTableGc();
        assertNotEquals(f.toString(), Kernel.target(n), "closed through a live task");
        assertFalse(live.fdTable().isTracked(n));
        assertEquals(1, sysif.closeAttempts(n), "the dead task was not tried again");
        Reference.reachabilityFence(dying);
    }
}
