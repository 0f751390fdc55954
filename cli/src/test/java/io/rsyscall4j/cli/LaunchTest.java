package io.rsyscall4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rsyscall4j.CloneFlag;
import io.rsyscall4j.Pipe;
import io.rsyscall4j.Rsyscall;
import io.rsyscall4j.Task;
import java.io.PrintWriter;
import java.io.Writer;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The launcher's way of starting a program: the placed fds reach it whatever the GC does meanwhile. */
class LaunchTest {
    @Test
    void aPlacedFdSurvivesAGarbageCollectionBeforeTheExec() throws Exception {
        Task local = Rsyscall.local("jna");
        try (Pipe pipe = local.pipe()) {
            Launch launch = new Launch(local, new SandboxOptions(), new CloneFlag[0],
                    List.of("/bin/sh", "-c", "test -e /proc/self/fd/3"), null,
                    new Trace(new PrintWriter(Writer.nullWriter()), false));
            // The environment is asked for between the fds' placement and the exec.
            Launch.Started started = launch.start(List.of(new Launch.Placement(3, pipe.write(), "the pipe")), pid -> {
                collectGarbage();
                return RawText.environment();
            });
            assertEquals(0, started.waitFor(), "the program has its fd 3");
        }
    }

    /** A full GC, returning once the references it cleared are handed to their queues. */
    private static void collectGarbage() {
        ReferenceQueue<Object> queue = new ReferenceQueue<>();
        WeakReference<Object> sentinel = new WeakReference<>(new Object(), queue);
        System.gc();
        try {
            queue.remove();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        sentinel.clear();
    }
}
