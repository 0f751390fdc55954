package io.rsyscall4j.osgi;

import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.fd.internal.FdInternals;
import io.rsyscall4j.Task;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.fd.FileDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deactivating fdcore's DS component (what SCR does as the bundle stops) ends the fd reaper's
 * thread, so it no longer pins the bundle's class loader; the task and its handles stay usable,
 * and the reaper comes back with the next handle.
 */
class LocalTaskComponentDeactivateTest {
    @TempDir
    Path dir;

    @Test
    void deactivationEndsTheReaperThreadAndTheTaskStaysUsable() throws Exception {
        SyscallInterface ffm = ServiceLoader.load(SyscallInterface.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.provider().equals("ffm")).findFirst().orElseThrow();
        LocalTaskComponent component = new LocalTaskComponent();
        component.bindProvider(ffm, Map.of());
        Task task = component.task();
        Path file = Files.writeString(dir.resolve("f"), "f");
        FileDescriptor fd = task.open(file.toString(), O_RDONLY);
        Set<Thread> running = reaperThreads();
        assertFalse(running.isEmpty(), "making a handle runs the reaper");

        component.deactivate();
        for (Thread t : running) {
            assertFalse(t.isAlive(), "deactivation waited for " + t + " to end");
        }

        assertEquals(file.toRealPath().toString(), Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd.number())).toString());
        fd.close();
        task.open(file.toString(), O_RDONLY).close();
        assertTrue(FdInternals.reaperRunning(), "the next handle started the reaper again");
    }

    private static Set<Thread> reaperThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals(FdInternals.REAPER_THREAD_NAME) && t.isAlive())
                .collect(Collectors.toSet());
    }
}
