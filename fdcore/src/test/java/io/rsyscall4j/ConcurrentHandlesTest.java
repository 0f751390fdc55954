package io.rsyscall4j;

import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.fd.Borrowed;
import io.rsyscall4j.fd.FileDescriptor;
import java.io.IOException;
import java.lang.ref.PhantomReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.io.TempDir;

/**
 * Eight threads hammering forTask / move / invalidate / close / borrow on shared fds, through both
 * providers' tasks, while also opening and closing fds of their own (so any wrong close would let
 * the kernel reuse a shared number for another file). Checked by fstat identity: no shared fd ever
 * vanishes or changes under a live handle, and nothing leaks.
 */
class ConcurrentHandlesTest {
    static final int THREADS = 8;
    static final int ITERATIONS = 2_500;
    static final int SHARED = 6;

    @TempDir
    Path dir;

    @BothProviders
    void eightThreadsHammeringSharedFdsNeverLoseOrLeakOne(String provider) throws Exception {
        Task[] tasks = {Rsyscall.local(provider), Rsyscall.local(provider.equals("ffm") ? "jna" : "ffm")};
        FileDescriptor[] shared = new FileDescriptor[SHARED];
        String[] identity = new String[SHARED];
        for (int i = 0; i < SHARED; i++) {
            Path f = dir.resolve("shared" + i);
            Files.writeString(f, "shared " + i);
            shared[i] = tasks[0].open(f.toString(), O_RDONLY);
            identity[i] = Kernel.identity(shared[i].number());
        }
        List<PhantomReference<FileDescriptor>> dropped = Collections.synchronizedList(new ArrayList<>());
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            long seed = 1000 + t;
            Path own = dir.resolve("own" + t);
            Files.writeString(own, "own " + t);
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    hammer(new Random(seed), tasks, shared, identity, own, dropped);
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "hammer-" + t);
            th.start();
            threads.add(th);
        }
        start.countDown();
        for (Thread th : threads) {
            th.join();
        }
        if (!failures.isEmpty()) {
            AssertionError e = new AssertionError(failures.size() + " hammer threads failed");
            failures.forEach(e::addSuppressed);
            throw e;
        }
        for (int i = 0; i < SHARED; i++) {
            assertTrue(shared[i].isValid());
            assertEquals(identity[i], Kernel.identity(shared[i].number()), "shared fd " + i + " survived");
        }
        Kernel.gcUntilCleared(dropped);
        tasks[0].runFdTableGc();
        for (int i = 0; i < SHARED; i++) {
            assertEquals(1, tasks[0].fdTable().handleCount(shared[i].number()),
                    "only the original handle of shared fd " + i + " is left");
            shared[i].close();
        }
        assertEquals(List.of(), Kernel.fdsUnder(dir), "no fd leaked");
    }

    private static void hammer(Random rnd, Task[] tasks, FileDescriptor[] shared, String[] identity, Path own,
            List<PhantomReference<FileDescriptor>> dropped) throws IOException {
        for (int n = 0; n < ITERATIONS; n++) {
            int i = rnd.nextInt(shared.length);
            Task task = tasks[rnd.nextInt(tasks.length)];
            FileDescriptor copy = shared[i].forTask(task);
            check(copy.number() == shared[i].number(), "forTask keeps the number");
            check(identity[i].equals(Kernel.identity(copy.number())), "shared fd " + i + " changed under its handles");
            switch (rnd.nextInt(6)) {
                case 0 -> check(!copy.invalidate(), "invalidating a copy must not close the shared fd");
                case 1 -> {
                    try {
                        copy.close();
                        throw new AssertionError("close of a copy of a shared fd succeeded");
                    } catch (IllegalStateException expected) {
                        check(copy.invalidate() == false, "the original still owns it");
                    }
                }
                case 2 -> {
                    FileDescriptor moved = copy.move(tasks[rnd.nextInt(tasks.length)]);
                    check(!copy.isValid(), "moved");
                    check(!moved.invalidate(), "the original still owns it");
                }
                case 3 -> {
                    try (Borrowed b = copy.borrow(tasks[rnd.nextInt(tasks.length)])) {
                        copy.invalidate();
                        check(identity[i].equals(Kernel.identity(b.number())), "borrowed shared fd " + i + " changed");
                    }
                }
                case 4 -> dropped.add(new PhantomReference<>(copy, null));
                default -> {
                    // An fd of our own: opening makes the kernel hand out the lowest free number, which
                    // would be a shared one if anything had closed it wrongly.
                    FileDescriptor mine = task.open(own.toString(), O_RDONLY);
                    check(own.toRealPath().toString().equals(Kernel.target(mine.number())), "own fd refers to own file");
                    copy.invalidate();
                    mine.close();
                }
            }
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
