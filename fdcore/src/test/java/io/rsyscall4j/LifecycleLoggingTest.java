package io.rsyscall4j;

import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.fd.FileDescriptor;
import java.io.IOException;
import java.lang.ref.PhantomReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;

/** The lifecycle can be traced through System.Logger at DEBUG: handle made, invalidated, closed, GC. */
class LifecycleLoggingTest {
    @TempDir
    Path dir;

    @BothProviders
    void theLifecycleIsLoggedAtDebug(String provider) throws IOException {
        CapturingLoggerFinder.capture(true);
        try {
            Task task = Rsyscall.local(provider);
            Path f = dir.resolve("logged");
            Files.writeString(f, "x");
            FileDescriptor fd = task.open(f.toString(), O_RDONLY);
            FileDescriptor copy = fd.forTask(task);
            copy.invalidate();
            fd.invalidate();
            int n = fd.number();
            PhantomReference<FileDescriptor> dropped = new PhantomReference<>(task.open(f.toString(), O_RDONLY), null);
            Kernel.gcUntilCleared(List.of(dropped));
            task.runFdTableGc();
            String all = String.join("\n", CapturingLoggerFinder.LINES);
            assertTrue(all.contains("made handle for fd " + n), all);
            assertTrue(all.contains("invalidating FileDescriptor[" + n + ", ") && all.contains("some handles remaining"), all);
            assertTrue(all.contains("no handles remaining, closing"), all);
            assertTrue(all.contains("closed fd " + n), all);
            assertTrue(all.contains("was garbage-collected"), all);
            assertTrue(all.contains("gc for FDTable"), all);
        } finally {
            CapturingLoggerFinder.capture(false);
        }
    }
}
