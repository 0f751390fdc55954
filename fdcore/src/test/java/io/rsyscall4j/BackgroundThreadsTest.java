package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.fd.internal.FdInternals;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.fd.FileDescriptor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@link Rsyscall#stopBackgroundThreads}, for containers that unload fdcore: the reaper's thread
 * always ends; the spawner's ends only once no child it made is alive — neither a child task nor
 * a program one exec'd, each of which would get SIGKILL when that thread ends — and the next clone
 * starts a new one, whose children work as before.
 */
class BackgroundThreadsTest {
    private static final Duration STOP = Duration.ofSeconds(10);
    private static final Duration CLEANUP = Duration.ofSeconds(30);

    @BothProviders
    void theSpawnerThreadStaysWhileAChildOrItsProgramLivesAndEndsOnceTheyAreReaped(String provider)
            throws Exception {
        Task local = Rsyscall.local(provider);
        Pipe in = local.pipe();
        Pipe out = local.pipe();
        ChildTask child = local.clone();
        assertFalse(Rsyscall.stopBackgroundThreads(STOP), "a child is alive: the spawner thread stays");
        assertTrue(SpawnerThread.isRunning());
        assertEquals(child.pid(), child.sysif().syscall(Sys.GETPID), "the child still serves");

        // A program the child exec'd: the parent-death signal survives exec, so it counts too.
        child.inheritFd(in.read()).dup2(child.stdin());
        child.inheritFd(out.write()).dup2(child.stdout());
        ChildProcess cat = child.exec("cat", List.of("cat"));
        child = null;
        assertFalse(Rsyscall.stopBackgroundThreads(STOP), "the exec'd program is alive: the spawner thread stays");
        in.write().writeAll("still here".getBytes(StandardCharsets.US_ASCII));
        assertEquals("still here", readExactly(out.read(), 10), "and the program still runs");
        in.write().close();
        assertEquals(0, cat.waitFor());
        in.read().close();
        out.write().close();
        out.read().close();

        Set<Thread> spawners = threadsNamed(SpawnerThread.THREAD_NAME);
        assertFalse(spawners.isEmpty());
        // Children other tests dropped are killed and reaped once the GC finds them.
        Kernel.await("no child of the JVM is alive, so the spawner thread stops", CLEANUP, () -> {
            System.gc();
            return Rsyscall.stopBackgroundThreads(STOP);
        });
        assertFalse(SpawnerThread.isRunning());
        assertTrue(spawners.stream().noneMatch(Thread::isAlive), "the spawner thread has ended");

        ChildTask next = local.clone();
        assertTrue(SpawnerThread.isRunning(), "the next clone started a new spawner thread");
        assertTrue(threadsNamed(SpawnerThread.THREAD_NAME).stream().noneMatch(spawners::contains));
        assertEquals(next.pid(), next.sysif().syscall(Sys.GETPID));
        FileDescriptor f = next.open("/dev/null", 0);
        assertTrue(FdInternals.reaperRunning(), "and the next handle the reaper");
        f.close();
        next.exec("true", List.of("true")).check();
    }

    private static String readExactly(FileDescriptor fd, int n) throws java.io.IOException {
        StringBuilder got = new StringBuilder();
        while (got.length() < n) {
            byte[] b = fd.read(n - got.length());
            if (b.length == 0) {
                break;
            }
            got.append(new String(b, StandardCharsets.US_ASCII));
        }
        return got.toString();
    }

    private static Set<Thread> threadsNamed(String name) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals(name))
                .collect(Collectors.toSet());
    }
}
