package io.rsyscall4j;

import static io.rsyscall4j.ChildTestSupport.await;
import static io.rsyscall4j.ChildTestSupport.getInt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.rsyscall4j.api.Linux;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The mailbox's spin-then-sleep hand-off: each side of a child task's connection sleeps once the
 * other is long in coming, says so in its word, and is woken by the other only then, with no
 * wake-up lost, with each real provider. A lost wake-up shows as a call that never returns: the
 * calls run under a deadline.
 */
class MailboxWakeUpTest {
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    static List<SyscallInterface> providers() {
        return ChildTestSupport.providers().toList();
    }

    @ParameterizedTest
    @MethodSource("providers")
    void anIdleServerSleepsAndTheNextCallWakesIt(SyscallInterface local) throws Exception {
        ClonedChild child = Spawner.cloneLocal(local, false);
        long sleeping = child.stack().base() + Mailbox.SERVER_SLEEPING;
        try {
            for (int round = 0; round < 3; round++) {
                assertEquals(child.pid(), within(CompletableFuture.supplyAsync(() -> call(child.sysif(), Sys.GETPID))));
                await("the idle server sleeps", DEADLINE, () -> getInt(local, sleeping) == 1);
            }
        } finally {
            end(child); // a call stuck by a lost wake-up ends with it
        }
    }

    @ParameterizedTest
    @MethodSource("providers")
    void aCallWhoseRequestBlocksSleepsInTheJvmAndIsAnsweredOnceUnblocked(SyscallInterface local) throws Exception {
        ClonedChild child = Spawner.cloneLocal(local, true);
        long looking = child.stack().base() + Mailbox.CALLER_LOOKING;
        long page = ChildTestSupport.page(local);
        int[] pipe = pipe(local, page);
        try {
            assertEquals(1, getInt(local, looking), "a platform thread spins first");
            CompletableFuture<Long> read = CompletableFuture.supplyAsync(() -> call(child.sysif(), Sys.READ, pipe[0], page, 8));
            await("the JVM's thread sleeps on the answer word", DEADLINE, () -> getInt(local, looking) == 0);
            assertFalse(read.isDone(), "the read blocks in the child");
            local.writeMemory(page + 8, new byte[] {7, 0, 0, 0, 0, 0, 0, 0}, 0, 8);
            assertEquals(8, local.syscall(Sys.WRITE, pipe[1], page + 8, 8));
            assertEquals(8L, within(read));
            assertEquals(7, getInt(local, page), "what was written was read, in the child");
            assertEquals(1, getInt(local, looking), "awake again, it spins first next time");
        } finally {
            end(child);
            local.syscall(Sys.CLOSE, pipe[0]);
            local.syscall(Sys.CLOSE, pipe[1]);
            ChildTestSupport.unmap(local, page);
        }
    }

    /**
     * Threads share children and call them in random order, each call either at once ({@code
     * getpid}) or after a random nap in the child ({@code nanosleep} of up to 60 µs, around the
     * spin's length): so the JVM's threads and the servers each end some waits in their spin and
     * sleep in others, and posts meet both.
     */
    @ParameterizedTest
    @MethodSource("providers")
    void noWakeUpIsLostWhileBothSidesAlternateBetweenSpinningAndSleeping(SyscallInterface local) throws Exception {
        int threads = 6;
        int callsPerThread = 4000;
        List<ClonedChild> children = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            children.add(Spawner.cloneLocal(local, i % 2 == 0));
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long seed = t;
                done.add(pool.submit(() -> callAtRandom(local, children, callsPerThread, new SplittableRandom(seed))));
            }
            for (Future<Integer> f : done) {
                assertEquals(callsPerThread, f.get(DEADLINE.toSeconds(), TimeUnit.SECONDS), "calls answered");
            }
        } finally {
            for (ClonedChild child : children) {
                end(child);
            }
            pool.shutdownNow();
        }
    }

    private static void end(ClonedChild child) throws SyscallException {
        child.kill(Linux.SIGKILL);
        assertEquals(128 + 9, child.waitFor());
    }

    private static int callAtRandom(SyscallInterface local, List<ClonedChild> children, int calls, SplittableRandom random)
            throws SyscallException {
        long timespec = ChildTestSupport.page(local);
        try {
            for (int i = 0; i < calls; i++) {
                ClonedChild child = children.get(random.nextInt(children.size()));
                if (random.nextBoolean()) {
                    assertEquals(child.pid(), child.sysif().syscall(Sys.GETPID));
                } else {
                    byte[] ts = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                            .putLong(0).putLong(random.nextInt(60_000)).array();
                    local.writeMemory(timespec, ts, 0, ts.length);
                    assertEquals(0, child.sysif().syscall(Sys.NANOSLEEP, timespec, 0));
                }
            }
        } finally {
            ChildTestSupport.unmap(local, timespec);
        }
        return calls;
    }

    private static int[] pipe(SyscallInterface local, long page) throws SyscallException {
        local.syscall(Sys.PIPE2, page, Linux.O_CLOEXEC);
        return new int[] {getInt(local, page), getInt(local, page + 4)};
    }

    private static <T> T within(CompletableFuture<T> f) throws Exception {
        return f.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    }

    private static long call(SyscallInterface sysif, Sys nr, long... args) {
        try {
            return sysif.syscall(nr, args);
        } catch (SyscallException e) {
            throw new CompletionException(e);
        }
    }
}
