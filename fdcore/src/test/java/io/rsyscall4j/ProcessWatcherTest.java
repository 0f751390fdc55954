package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.OpenFlags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Every process rsyscall4j made is watched by one thread ({@link ProcessWatcher}): however many
 * programs run, waited for or dropped, the JVM has one thread for them, which reaps each as it
 * ends; a signal is never held up by a thread waiting for the same process.
 */
class ProcessWatcherTest {
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final int PROGRAMS = 500;

    @BothProviders
    void fiveHundredDroppedRunningProgramsNeedNoThreadEachAndAreReapedWhenTheyEnd(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        local.clone().exec("true", List.of("true")).check(); // the spawner and the watcher run now
        int before = Thread.activeCount();
        Pipe input = local.pipe();
        FileDescriptor sink = local.open("/dev/null", OpenFlags.O_WRONLY);
        List<Integer> pids = new ArrayList<>();
        for (int i = 0; i < PROGRAMS; i++) {
            pids.add(startCat(local, input.read(), sink));
        }
        Kernel.await("the dropped programs' handles are collected", DEADLINE, () -> {
            System.gc();
            return true;
        });
        for (int pid : pids) {
            assertTrue(Files.exists(Path.of("/proc/" + pid)), "program " + pid + " still runs");
        }
        int during = Thread.activeCount();
        assertTrue(during <= before + 2, PROGRAMS + " dropped running programs took " + (during - before)
                + " extra threads (at most 2 allowed): " + Thread.getAllStackTraces().keySet());

        input.write().close();
        input.read().close();
        sink.close();
        Kernel.await("every dropped program ended and was reaped (no zombie left)", DEADLINE,
                () -> pids.stream().noneMatch(pid -> Files.exists(Path.of("/proc/" + pid))));
        assertTrue(Thread.activeCount() <= before + 2);
    }

    @BothProviders
    void aKillReachesAProcessAnotherThreadIsWaitingFor(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        ChildProcess sleep = local.clone().exec("sleep", List.of("sleep", "1000"));
        CompletableFuture<Integer> status = new CompletableFuture<>();
        Thread waiter = ChildTestSupport.startWaiter(sleep, status);
        Kernel.await("the waiter blocks in waitFor", DEADLINE, () -> Kernel.waitingForAProcess(waiter));
        CompletableFuture<Void> kill = CompletableFuture.runAsync(() -> {
            try {
                sleep.kill(9);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Kernel.await("the kill returns while the other thread waits", Duration.ofSeconds(10), kill::isDone);
        kill.join();
        Kernel.await("the waiter sees the process killed", Duration.ofSeconds(10), status::isDone);
        assertEquals(128 + 9, status.join());
        waiter.join();
    }

    /** Starts {@code cat} reading {@code input}, writing to {@code sink}; drops it, returns its pid. */
    private static int startCat(Task local, FileDescriptor input, FileDescriptor sink) throws Exception {
        ChildTask child = local.clone();
        FileDescriptor in = child.inheritFd(input).dup2(child.stdin());
        FileDescriptor out = child.inheritFd(sink).dup2(child.stdout());
        int pid = (int) child.exec("cat", List.of("cat")).pid();
        java.lang.ref.Reference.reachabilityFence(in); // exec closes the fds of collected handles
        java.lang.ref.Reference.reachabilityFence(out);
        return pid;
    }
}
