package io.rsyscall4j;

import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.fd.Borrowed;
import io.rsyscall4j.fd.FileDescriptor;
import java.io.IOException;
import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.io.TempDir;

/**
 * Concurrency: {@value #THREADS} threads mixing forTask / move / invalidate / close / borrow / GC
 * (and opens of their own) on shared fds, through tasks of every kind that share the JVM's table
 * (the FFM and JNA local tasks, each over a journaling wrapper, and a {@code FILES} child), for at
 * least {@value #MIN_OPS} operations in all.
 *
 * <ul>
 *   <li>No fd vanishes under a live handle: after every operation on a shared fd, its number's
 *       {@code fstat} identity (device + inode, through /proc/self/fd) is that of the handle's
 *       file; under a borrow too, while other threads invalidate.
 *   <li>No double close: fds opened outside rsyscall4j ({@link Sentinels}) stay open on their own
 *       files throughout (a second close of a number the kernel had reused would hit one of them
 *       or a shared fd), and no close through the journaled tasks is answered EBADF.
 *   <li>Nothing leaks: at the end every copy is gone, each shared fd has its one original handle
 *       again, and no fd of the threads' own files is left.
 * </ul>
 */
class ConcurrencyStressTest {
    static final int THREADS = 8;
    static final int MIN_OPS = 100_000;
    static final int SHARED = 8;

    @TempDir
    Path dir;

    @BothProviders
    void eightThreadsMixingLifecycleOperationsNeverLoseOrDoubleCloseAnFd(String provider) throws Exception {
        String other = provider.equals("ffm") ? "jna" : "ffm";
        FaultInjectingSyscallInterface first = new FaultInjectingSyscallInterface(Rsyscall.local(provider).sysif());
        FaultInjectingSyscallInterface second = new FaultInjectingSyscallInterface(Rsyscall.local(other).sysif());
        Task a = Rsyscall.local(first);
        Task b = Rsyscall.local(second);
        ChildTask child = a.clone(CloneFlag.FILES);
        Task[] tasks = {a, b, child};
        Path files = Files.createDirectories(dir.resolve("files"));
        try (Sentinels sentinels = new Sentinels(a, Files.createDirectories(dir.resolve("sentinels")), 4)) {
            FileDescriptor[] shared = new FileDescriptor[SHARED];
            String[] identity = new String[SHARED];
            for (int i = 0; i < SHARED; i++) {
                Path f = files.resolve("shared" + i);
                Files.writeString(f, "shared " + i);
                shared[i] = tasks[i % tasks.length].open(f.toString(), O_RDONLY);
                identity[i] = Kernel.identity(shared[i].number());
            }
            List<PhantomReference<FileDescriptor>> dropped = Collections.synchronizedList(new ArrayList<>());
            Hot hot = new Hot(files);
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            AtomicLong ops = new AtomicLong();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            long began = System.nanoTime();
            for (int t = 0; t < THREADS; t++) {
                long seed = 7000 + t;
                Path own = files.resolve("own" + t);
                Files.writeString(own, "own " + t);
                Worker w = new Worker(new Random(seed), tasks, shared, identity, own.toRealPath(), dropped, sentinels, ops, hot);
                Thread th = new Thread(() -> {
                    try {
                        start.await();
                        w.run(MIN_OPS / THREADS);
                    } catch (Throwable e) {
                        failures.add(new AssertionError("worker with seed " + seed + " failed after " + w.done + " operations", e));
                    }
                }, "stress-" + t);
                th.start();
                threads.add(th);
            }
            start.countDown();
            for (Thread th : threads) {
                th.join();
            }
            long ms = (System.nanoTime() - began) / 1_000_000;
            if (!failures.isEmpty()) {
                AssertionError e = new AssertionError(failures.size() + " of " + THREADS + " threads failed");
                failures.forEach(e::addSuppressed);
                throw e;
            }
            System.out.println("concurrency stress (" + provider + "): " + ops.get() + " operations by " + THREADS
                    + " threads in " + ms + " ms");
            assertTrue(ops.get() >= MIN_OPS, ops.get() + " operations");
            for (int i = 0; i < SHARED; i++) {
                assertTrue(shared[i].isValid());
                assertEquals(identity[i], Kernel.identity(shared[i].number()), "shared fd " + i + " survived");
            }
            hot.retireAll();
            Kernel.gcUntilCleared(dropped);
            a.runFdTableGc();
            for (int i = 0; i < SHARED; i++) {
                assertTrue(shared[i].isOnlyHandle(), "every copy of shared fd " + i + " is gone");
                shared[i].close();
            }
            sentinels.check("at the end");
            assertEquals(List.of(), first.badCloses(), "closes of numbers that were not open");
            assertEquals(List.of(), second.badCloses(), "closes of numbers that were not open");
            assertEquals(Map.of(), Kernel.fdsOf("/proc/self/fd", files, Set.of()), "no fd leaked");
        } finally {
            child.exit(0);
            Reference.reachabilityFence(a);
            Reference.reachabilityFence(b);
        }
    }

    /**
     * Hot fds: short-lived fds every thread races on. One thread opens one (a new file each time)
     * and publishes it; others take copies and borrow them while any thread may retire it
     * (invalidate the published handle). The borrowed number must keep referring to that file until
     * the borrow ends, whoever closes it, whenever.
     */
    private static final class Hot {
        record Entry(FileDescriptor fd, String identity) {
        }

        final java.util.concurrent.atomic.AtomicReferenceArray<Entry> slots = new java.util.concurrent.atomic.AtomicReferenceArray<>(4);
        final AtomicLong files = new AtomicLong();
        final Path dir;

        Hot(Path dir) {
            this.dir = dir;
        }

        void retireAll() throws IOException {
            for (int i = 0; i < slots.length(); i++) {
                Entry e = slots.getAndSet(i, null);
                if (e != null) {
                    e.fd().invalidate();
                }
            }
        }
    }

    /** One thread's mix of operations; each public lifecycle call counts as one operation. */
    private static final class Worker {
        private final Random rnd;
        private final Task[] tasks;
        private final FileDescriptor[] shared;
        private final String[] identity;
        private final Path own;
        private final String ownIdentity;
        private final List<PhantomReference<FileDescriptor>> dropped;
        private final Sentinels sentinels;
        private final AtomicLong ops;
        private final Hot hot;
        long done;

        Worker(Random rnd, Task[] tasks, FileDescriptor[] shared, String[] identity, Path own,
                List<PhantomReference<FileDescriptor>> dropped, Sentinels sentinels, AtomicLong ops, Hot hot) throws IOException {
            this.rnd = rnd;
            this.tasks = tasks;
            this.shared = shared;
            this.identity = identity;
            this.own = own;
            Map<String, Object> id = Files.readAttributes(own, "unix:dev,ino");
            this.ownIdentity = id.get("dev") + ":" + id.get("ino"); // as Kernel.identity reports it
            this.dropped = dropped;
            this.sentinels = sentinels;
            this.ops = ops;
            this.hot = hot;
        }

        private void count(int n) {
            done += n;
            ops.addAndGet(n);
        }

        private Task task() {
            return tasks[rnd.nextInt(tasks.length)];
        }

        void run(long target) throws IOException {
            while (done < target) {
                int i = rnd.nextInt(shared.length);
                FileDescriptor copy = shared[i].forTask(task());
                count(1);
                check(copy.number() == shared[i].number(), "forTask keeps the number");
                checkShared(i, copy.number(), "after forTask");
                int r = rnd.nextInt(100);
                if (r < 20) {
                    check(!copy.invalidate(), "invalidating a copy must not close the shared fd");
                    count(1);
                } else if (r < 35) {
                    FileDescriptor moved = copy.move(task());
                    count(1);
                    check(!copy.isValid(), "moved");
                    checkShared(i, moved.number(), "after move");
                    check(!moved.invalidate(), "the original still owns it");
                    count(1);
                } else if (r < 55) {
                    try (Borrowed bw = copy.borrow(task())) {
                        count(1);
                        check(!copy.invalidate(), "the original still owns it");
                        count(1);
                        checkShared(i, bw.number(), "under a borrow");
                    }
                } else if (r < 65) {
                    try {
                        copy.close();
                        throw new AssertionError("close of a copy of a shared fd succeeded");
                    } catch (IllegalStateException expected) {
                        count(1);
                    }
                    check(!copy.invalidate(), "the original still owns it");
                    count(1);
                } else if (r < 80) {
                    dropped.add(new PhantomReference<>(copy, null));
                } else if (r < 88) {
                    copy.invalidate();
                    count(1);
                    ownCycle();
                } else if (r < 99) {
                    copy.invalidate();
                    count(1);
                    hotOperation();
                } else {
                    copy.invalidate();
                    count(1);
                    gc();
                }
                checkShared(i, shared[i].number(), "after the operation");
                if (done % 1024 < 4) {
                    sentinels.check(Thread.currentThread().getName() + " after " + done + " operations");
                }
            }
        }

        /**
         * An fd of this thread's own: open (the kernel hands out the lowest free number, a shared
         * one if anything had closed it wrongly), forTask, invalidate one, close the other.
         */
        private void ownCycle() throws IOException {
            FileDescriptor mine = task().open(own.toString(), O_RDONLY);
            count(1);
            checkOwn(mine.number());
            FileDescriptor second = mine.forTask(task());
            count(1);
            FileDescriptor keep;
            if (rnd.nextBoolean()) {
                check(!mine.invalidate(), "another handle remains");
                keep = second;
            } else {
                check(!second.invalidate(), "another handle remains");
                keep = mine;
            }
            count(1);
            checkOwn(keep.number());
            keep.close();
            count(1);
        }

        private void hotOperation() throws IOException {
            int slot = rnd.nextInt(hot.slots.length());
            Hot.Entry e = hot.slots.get(slot);
            if (e == null) {
                Path f = hot.dir.resolve("hot" + hot.files.incrementAndGet());
                Files.writeString(f, f.getFileName().toString());
                FileDescriptor fd = task().open(f.toString(), O_RDONLY);
                count(1);
                Hot.Entry made = new Hot.Entry(fd, Kernel.identity(fd.number()));
                if (!hot.slots.compareAndSet(slot, null, made)) {
                    fd.close();
                    count(1);
                }
                return;
            }
            FileDescriptor copy;
            try {
                copy = e.fd().forTask(task());
                count(1);
            } catch (io.rsyscall4j.fd.InvalidHandleException retired) {
                count(1); // another thread retired it first
                return;
            }
            try (Borrowed bw = copy.borrow(task())) {
                count(1);
                if (rnd.nextBoolean() && hot.slots.compareAndSet(slot, e, null)) {
                    e.fd().invalidate(); // retire: the borrow (and other threads' copies) keep it open
                    count(1);
                }
                copy.invalidate();
                count(1);
                String now = Kernel.identity(bw.number());
                check(e.identity().equals(now), "a hot fd " + bw.number() + " changed from " + e.identity() + " to " + now
                        + " under a borrow");
            }
        }

        private void gc() throws IOException {
            if (rnd.nextInt(16) == 0) {
                System.gc();
            }
            task().runFdTableGc();
            count(1);
        }

        private void checkShared(int i, int number, String when) {
            String now = Kernel.identity(number);
            check(identity[i].equals(now), "shared fd " + i + " (fd " + number + ") " + when + ": identity " + identity[i]
                    + " became " + now + " under a live handle");
        }

        private void checkOwn(int number) {
            check(ownIdentity.equals(Kernel.identity(number)), "own fd " + number + " refers to " + Kernel.target(number));
        }

        private static void check(boolean ok, String what) {
            if (!ok) {
                throw new AssertionError(what);
            }
        }
    }
}
