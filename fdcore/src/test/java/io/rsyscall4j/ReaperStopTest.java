package io.rsyscall4j;

import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.fd.internal.FdInternals;
import io.rsyscall4j.fd.FileDescriptor;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fd reaper's thread can be stopped (for containers that unload fdcore: a thread that never
 * ends pins the class loader), and comes back by itself: the next handle made starts it, and the
 * fds of dropped handles are closed in the background again, without {@code runFdTableGc}.
 */
class ReaperStopTest {
    private static final Duration STOP = Duration.ofSeconds(10);
    private static final Duration CLEANUP = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @BothProviders
    void aStoppedReaperThreadEndsAndTheNextHandleStartsItAgainToCloseDroppedFds(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        Path file = Files.writeString(dir.resolve("f"), "f");
        FileDescriptor made = local.open(file.toString(), O_RDONLY);
        assertTrue(FdInternals.reaperRunning(), "making a handle runs the reaper");
        Set<Thread> before = reaperThreads();
        assertFalse(before.isEmpty());

        assertTrue(FdInternals.stopReaper(STOP), "stop returns once the thread has ended");
        assertTrue(FdInternals.stopReaper(STOP), "stopping again does nothing");
        // Every thread that ran before the stop ends (one stopped earlier may still be on its last pass).
        Kernel.await("the reaper threads that ran before the stop end", CLEANUP,
                () -> before.stream().noneMatch(Thread::isAlive));

        FileDescriptor after = local.open(file.toString(), O_RDONLY);
        assertTrue(FdInternals.reaperRunning(), "the next handle started the reaper again");
        assertTrue(reaperThreads().stream().anyMatch(t -> !before.contains(t)), "a new thread");

        List<WeakReference<FileDescriptor>> refs = List.of(new WeakReference<>(made), new WeakReference<>(after));
        made = null;
        after = null;
        Kernel.gcUntilCleared(refs);
        Kernel.await("the restarted reaper closes the dropped handles' fds, with no runFdTableGc", CLEANUP,
                () -> Kernel.fdsUnder(dir).isEmpty());
    }

    @BothProviders
    void aHandleDroppedAroundAStopIsClosedByRunFdTableGc(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        Path file = Files.writeString(dir.resolve("g"), "g");
        WeakReference<FileDescriptor> ref = openAndDrop(local, file);
        assertTrue(FdInternals.stopReaper(STOP));
        Kernel.gcUntilCleared(List.of(ref));
        local.runFdTableGc();
        assertTrue(Kernel.fdsUnder(dir).isEmpty(), "closed at once, whether the reaper ran or not");
        local.open(file.toString(), O_RDONLY).close(); // leaves the reaper running for the tests after this one
        assertTrue(FdInternals.reaperRunning());
    }

    private static WeakReference<FileDescriptor> openAndDrop(Task task, Path file) throws IOException {
        return new WeakReference<>(task.open(file.toString(), O_RDONLY));
    }

    /** The live threads named as the reaper's. */
    static Set<Thread> reaperThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals(FdInternals.REAPER_THREAD_NAME) && t.isAlive())
                .collect(Collectors.toSet());
    }
}
