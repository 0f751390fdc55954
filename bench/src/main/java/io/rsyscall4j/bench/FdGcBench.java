package io.rsyscall4j.bench;

import static io.rsyscall4j.api.Linux.F_GETFD;

import io.rsyscall4j.Rsyscall;
import io.rsyscall4j.Task;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.OpenFlags;
import java.io.IOException;
import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * Row {@code gc-10k} ({@link #collect}): the collecting rsyscall4j does once the JVM has found
 * 10,000 dropped handles unreachable — {@link Task#runFdTableGc()} taking them out of tracking
 * and closing their fds (a few {@code close_range} calls when the numbers are consecutive) —
 * against C closing 10,000 fds one {@code close} at a time. The JVM's own collection
 * ({@code System.gc()}) runs in the untimed setup, and the background reaper is off
 * ({@code -Drsyscall4j.reaper=false}) so that it cannot do part of the work between the two; the
 * setup checks that the GC found all 10,000 unreachable and that all are still tracked.
 *
 * <p>Without a target, so nothing is hidden: {@link #dropAndCollectWithJvmGc} (row
 * {@code gc-10k-with-jvm-gc}) times the whole thing with the reaper on, as a program that drops
 * handles and forces a GC would see it, and {@link #jvmGcOnly} (row {@code gc-10k-jvm-only}) the
 * same drop and {@code System.gc()} of 10,000 plain objects, no fds: the JVM's part of it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class FdGcBench {
    static final int HANDLES = 10_000;
    /** How long the setup waits for the GC to find the dropped handles (it should be at once). */
    private static final long DISCOVERY_LIMIT_NS = TimeUnit.SECONDS.toNanos(30);

    @Param({"ffm", "jna"})
    public String provider;

    private Task task;
    private FileDescriptor[] handles;
    private Object[] plain;
    private int[] numbers;

    @Setup(Level.Trial)
    public void setUp() {
        task = Rsyscall.local(provider);
    }

    @Setup(Level.Invocation)
    public void open(BenchmarkParams params) throws IOException, InterruptedException {
        numbers = new int[HANDLES];
        if (params.getBenchmark().endsWith(".collect")) {
            dropUntilFound();
            return;
        }
        handles = new FileDescriptor[HANDLES];
        plain = new Object[HANDLES];
        for (int i = 0; i < HANDLES; i++) {
            handles[i] = task.open("/dev/null", OpenFlags.O_RDONLY);
            numbers[i] = handles[i].number();
            plain[i] = new Object();
        }
    }

    /**
     * Opens 10,000 handles, drops them and runs the JVM's GC until every one of them was found
     * unreachable (a phantom reference of our own to each is enqueued), then checks that all are
     * still tracked: nothing but the timed {@code runFdTableGc} has collected any of them.
     */
    private void dropUntilFound() throws IOException, InterruptedException {
        ReferenceQueue<FileDescriptor> found = new ReferenceQueue<>();
        PhantomReference<?>[] refs = openAndDrop(found);
        System.gc();
        long deadline = System.nanoTime() + DISCOVERY_LIMIT_NS;
        int enqueued = 0;
        while (enqueued < HANDLES) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IllegalStateException("the GC found only " + enqueued + " of " + HANDLES
                        + " dropped handles unreachable");
            }
            if (found.remove(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left))) != null) {
                enqueued++;
            } else {
                System.gc();
            }
        }
        for (int n : numbers) {
            if (!task.fdTable().isTracked(n)) {
                throw new IllegalStateException("fd " + n + " was collected before the timed runFdTableGc:"
                        + " is the reaper on? (-Drsyscall4j.reaper=false)");
            }
        }
        java.lang.ref.Reference.reachabilityFence(refs);
    }

    private PhantomReference<?>[] openAndDrop(ReferenceQueue<FileDescriptor> found) throws IOException {
        PhantomReference<?>[] refs = new PhantomReference<?>[HANDLES];
        for (int i = 0; i < HANDLES; i++) {
            FileDescriptor fd = task.open("/dev/null", OpenFlags.O_RDONLY);
            numbers[i] = fd.number();
            refs[i] = new PhantomReference<>(fd, found);
        }
        return refs;
    }

    @Benchmark
    @Fork(jvmArgsAppend = {"-Xms256m", "-Xmx256m", "-Drsyscall4j.reaper=false"})
    public void collect() throws IOException {
        task.runFdTableGc();
    }

    @Benchmark
    @Fork(jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
    public void dropAndCollectWithJvmGc() throws IOException {
        handles = null;
        System.gc();
        task.runFdTableGc();
    }

    @Benchmark
    @Fork(jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
    public void jvmGcOnly() {
        plain = null;
        System.gc();
    }

    /** Every fd must be closed, as the kernel sees it, and untracked; else the figure means nothing. */
    @TearDown(Level.Invocation)
    public void check() throws IOException {
        if (handles != null) {
            // jvmGcOnly: close the fds it left alone, outside the measured time.
            for (FileDescriptor fd : handles) {
                fd.close();
            }
            handles = null;
        }
        plain = null;
        for (int n : numbers) {
            if (task.fdTable().isTracked(n)) {
                throw new IllegalStateException("fd " + n + " is still tracked after runFdTableGc");
            }
            try {
                task.sysif().syscall(Sys.FCNTL, n, F_GETFD);
            } catch (ErrnoException expected) {
                continue; // EBADF: closed.
            }
            // Open again: the JVM may have taken the freed number meanwhile (JMH's threads, class
            // loading from a jar: seen on JDK 17), and may already have closed it again. Only our
            // /dev/null there means it was never closed.
            String target;
            try {
                target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + n)).toString();
            } catch (NoSuchFileException closedMeanwhile) {
                continue;
            }
            if (target.equals("/dev/null")) {
                throw new IllegalStateException("fd " + n + " is still open after runFdTableGc");
            }
        }
    }
}
