package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.OpenFlags;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Many threads on one {@link ChildProcess}, and many processes on few threads: a
 * {@code destroyForcibly()} reaches a process another thread waits for at once, {@code waitFor()}
 * is interruptible, and pending {@code onExit()} futures cost no thread each.
 */
class ProcessConcurrencyTest {
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final int PROGRAMS = 1000;

    @BothProviders
    void destroyForciblyReachesAProcessAnotherThreadWaitsFor(String provider) throws Exception {
        ChildProcess sleep = Rsyscall.local(provider).clone().exec("sleep", List.of("sleep", "1000"));
        CompletableFuture<Integer> status = new CompletableFuture<>();
        Thread waiter = ChildTestSupport.startWaiter(sleep, status);
        Kernel.await("the waiter blocks in waitFor", DEADLINE, () -> Kernel.waitingForAProcess(waiter));
        CompletableFuture<Process> kill = CompletableFuture.supplyAsync(sleep::destroyForcibly);
        // The signal has arrived once the kernel shows the process ended, whatever the waiter does.
        Kernel.await("the program is killed while the other thread waits", Duration.ofSeconds(10),
                () -> kill.isDone() && Kernel.processEnded(sleep.pid()));
        assertEquals(128 + 9, status.get(10, TimeUnit.SECONDS));
        waiter.join();
    }

    @BothProviders
    void waitForIsInterruptibleAndLeavesTheProcessRunning(String provider) throws Exception {
        ChildProcess sleep = Rsyscall.local(provider).clone().exec("sleep", List.of("sleep", "1000"));
        CompletableFuture<Throwable> thrown = new CompletableFuture<>();
        Thread waiter = new Thread(() -> {
            try {
                sleep.waitFor();
                thrown.complete(null);
            } catch (Throwable t) {
                thrown.complete(t);
            }
        }, "waiter");
        waiter.start();
        Kernel.await("the waiter blocks in waitFor", DEADLINE, () -> Kernel.waitingForAProcess(waiter));
        waiter.interrupt();
        Throwable t = thrown.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        assertTrue(t instanceof InterruptedException, "waitFor threw " + t);
        assertTrue(sleep.isAlive());
        sleep.destroyForcibly();
        // Nobody waits now: the process watcher, which the waiter had taken off, reaps it.
        assertEquals(sleep, sleep.onExit().get(DEADLINE.toSeconds(), TimeUnit.SECONDS));
        assertEquals(128 + 9, sleep.waitFor());
    }

    @BothProviders
    void aPlatformThreadWaitsOnThePidfdItselfAndReapsTheProcess(String provider) throws Exception {
        int watched = ProcessWatcher.pending(); // processes earlier tests left running
        ChildProcess sleep = Command.of("sleep", "1000").start(Rsyscall.local(provider));
        CompletableFuture<Integer> status = new CompletableFuture<>();
        Thread waiter = ChildTestSupport.startWaiter(sleep, status);
        Kernel.await("the waiter polls the pidfd itself", DEADLINE, () -> Kernel.inPidfdPoll(waiter));
        assertTrue(ProcessWatcher.pending() <= watched, "the process watcher still watches the waited-for process");
        sleep.destroy();
        assertEquals(128 + 15, status.get(DEADLINE.toSeconds(), TimeUnit.SECONDS));
        assertTrue(Kernel.processEnded(sleep.pid()) && !sleep.isAlive());
        waiter.join();
    }

    @BothProviders
    void aThousandPendingOnExitFuturesUseAtMostTwoExtraThreads(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        local.clone().exec("true", List.of("true")).check(); // the spawner and the watcher run now
        int before = Thread.activeCount();
        Pipe input = local.pipe();
        FileDescriptor sink = local.open("/dev/null", OpenFlags.O_WRONLY);
        List<CompletableFuture<Process>> exits = new ArrayList<>();
        List<ChildProcess> programs = new ArrayList<>();
        for (int i = 0; i < PROGRAMS; i++) {
            ChildTask child = local.clone();
            FileDescriptor in = child.inheritFd(input.read()).dup2(child.stdin());
            FileDescriptor out = child.inheritFd(sink).dup2(child.stdout());
            ChildProcess cat = child.exec("cat", List.of("cat"));
            java.lang.ref.Reference.reachabilityFence(in);
            java.lang.ref.Reference.reachabilityFence(out);
            programs.add(cat);
            exits.add(cat.onExit());
        }
        int during = Thread.activeCount();
        assertTrue(during <= before + 2, PROGRAMS + " pending onExit futures took " + (during - before)
                + " extra threads (at most 2 allowed): " + Thread.getAllStackTraces().keySet());
        assertTrue(exits.stream().noneMatch(CompletableFuture::isDone));

        input.write().close();
        input.read().close();
        sink.close();
        CompletableFuture.allOf(exits.toArray(CompletableFuture[]::new)).get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        for (int i = 0; i < PROGRAMS; i++) {
            assertTrue(exits.get(i).join() == programs.get(i));
            assertEquals(0, programs.get(i).exitValue());
        }
    }
}
