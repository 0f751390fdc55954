package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.OpenFlags;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@link Command} that needs no child task starts as {@code posix_spawn} would
 * ({@link DirectSpawn}); the program sees the same as one started through a child task (the way
 * taken where {@code clone3} is refused): its fds, directory, umask, signal dispositions, mask.
 */
class DirectSpawnTest {
    @TempDir
    Path dir;

    /** What the programs {@code grep}, {@code ls} and {@code readlink} see of themselves, run as {@code c} says. */
    private static String run(Task local, FileDescriptor extra, Path cwd) throws Exception {
        StringBuilder seen = new StringBuilder();
        for (String[] program : new String[][] {{"grep", "-E", "^(Umask|SigBlk|SigIgn|SigCgt):", "/proc/self/status"},
                {"ls", "/proc/self/fd"}, {"readlink", "/proc/self/cwd", "/proc/self/fd/3", "/proc/self/fd/7"}}) {
            ProcessOutput out = Command.of(java.util.List.of(program)).fd(3, extra).fd(7, extra).directory(cwd).umask(027)
                    .redirectErrorStream(true).output(local);
            assertEquals(0, out.status(), new String(out.stdout(), StandardCharsets.UTF_8));
            seen.append(new String(out.stdout(), StandardCharsets.UTF_8));
        }
        return seen.toString();
    }

    @BothProviders
    void theProgramSeesWhatAChildTaskWouldHaveGivenIt(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        try (FileDescriptor extra = local.open("/dev/null", OpenFlags.O_RDONLY)) {
            Command probe = Command.of("true");
            assertTrue(DirectSpawn.fits(probe, local), "a plain command starts directly here");
            String direct = run(local, extra, dir);
            DirectSpawn.refused(true);
            String throughChildTask;
            try {
                assertFalse(DirectSpawn.fits(probe, local));
                throughChildTask = run(local, extra, dir);
            } finally {
                DirectSpawn.refused(false);
            }
            assertEquals(throughChildTask, direct);
            assertTrue(direct.contains("SigBlk:\t0000000000000000"), direct);
            assertTrue(direct.contains("Umask:\t0027") && direct.contains(dir + "\n/dev/null\n/dev/null\n"), direct);
        }
    }

    /**
     * A virtual thread waits for the spawn in the poller, woken by the server's eventfd; a platform
     * thread waits on the answer word, and its spawn makes no eventfd: both start the program.
     */
    @BothProviders
    void aVirtualAndAPlatformThreadBothStartDirectly(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        Command echo = Command.of("echo", "started");
        assertTrue(DirectSpawn.fits(echo, local));
        for (Thread.Builder builder : new Thread.Builder[] {Thread.ofVirtual(), Thread.ofPlatform()}) {
            java.util.concurrent.CompletableFuture<ProcessOutput> out = new java.util.concurrent.CompletableFuture<>();
            builder.start(() -> {
                try {
                    out.complete(echo.output(local));
                } catch (Exception | Error e) {
                    out.completeExceptionally(e);
                }
            });
            ProcessOutput o = out.get(60, java.util.concurrent.TimeUnit.SECONDS); // fails rather than hangs
            assertEquals("started\n", new String(o.stdout(), StandardCharsets.UTF_8), builder.toString());
            assertEquals(0, o.status());
        }
    }

    /**
     * A platform thread sleeps on the new child's answer word while the spawner thread clones:
     * a clone that fails, by its result or by an exception, wakes it, and the failure is raised.
     */
    @BothProviders
    void aCloneThatFailsWakesTheThreadWaitingForIt(String provider) throws Exception {
        FaultInjectingSyscallInterface faulty = new FaultInjectingSyscallInterface(Rsyscall.local(provider).sysif());
        faulty.clone3Fault = () -> -Errno.EAGAIN;
        ErrnoException e = assertInstanceOf(ErrnoException.class, startFailing(faulty));
        assertEquals(Sys.CLONE3, e.syscall());
        assertEquals(Errno.EAGAIN, e.errno());
        IllegalStateException thrown = new IllegalStateException("the clone call broke");
        faulty.clone3Fault = () -> {
            throw thrown;
        };
        assertEquals(thrown, startFailing(faulty));
        assertTrue(DirectSpawn.fits(Command.of("true"), Rsyscall.local(provider)), "not taken for clone3 refused");
    }

    /**
     * A platform thread's direct spawn makes no eventfd for its child, and closes none: no
     * {@code close(-1)}, which would cost a syscall and an exception a spawn.
     */
    @BothProviders
    void aSpawnWithoutAnEventfdClosesNoNegativeNumber(String provider) throws Exception {
        FaultInjectingSyscallInterface counting = new FaultInjectingSyscallInterface(Rsyscall.local(provider).sysif());
        assertEquals(null, startFailing(counting));
        assertEquals(0, counting.closeAttempts(-1));
    }

    /** What {@code Command.of("true").start()} through {@code sysif} raises, on a platform thread. */
    private static Throwable startFailing(SyscallInterface sysif) throws Exception {
        Task local = Rsyscall.local(sysif);
        CompletableFuture<Throwable> raised = new CompletableFuture<>();
        Thread.ofPlatform().start(() -> {
            try {
                Command.of("true").start(local).waitFor();
                raised.complete(null);
            } catch (Throwable t) {
                raised.complete(t);
            }
        });
        return raised.get(60, TimeUnit.SECONDS); // fails rather than hangs
    }
}
