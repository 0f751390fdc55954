package io.rsyscall4j.bench;

import io.rsyscall4j.Rsyscall;
import io.rsyscall4j.Task;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.OpenFlags;
import java.io.IOException;
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

/**
 * Row {@code gc-10k}: 10,000 owned handles dropped at once, then collected: the JVM's GC finds
 * them unreachable ({@code System.gc()}, a full collection of a small heap) and
 * {@link Task#runFdTableGc()} closes their fds (a few {@code close_range} calls when the numbers
 * are consecutive). Against C closing 10,000 fds one {@code close} at a time.
 *
 * <p>{@link #jvmGcOnly} is the control: the same drop and {@code System.gc()} of 10,000 plain
 * objects, no fds, to show how much of the row is the JVM's own collection.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
public class FdGcBench {
    static final int HANDLES = 10_000;
    private static final long F_GETFD = 1;

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
    public void open() throws IOException {
        handles = new FileDescriptor[HANDLES];
        plain = new Object[HANDLES];
        numbers = new int[HANDLES];
        for (int i = 0; i < HANDLES; i++) {
            handles[i] = task.open("/dev/null", OpenFlags.O_RDONLY);
            numbers[i] = handles[i].number();
            plain[i] = new Object();
        }
    }

    @Benchmark
    public void dropAndCollect() throws IOException {
        handles = null;
        System.gc();
        task.runFdTableGc();
    }

    @Benchmark
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
        for (int n : numbers) {
            if (task.fdTable().isTracked(n)) {
                throw new IllegalStateException("fd " + n + " is still tracked after runFdTableGc");
            }
            try {
                task.sysif().syscall(Sys.FCNTL, n, F_GETFD);
                throw new IllegalStateException("fd " + n + " is still open after runFdTableGc");
            } catch (ErrnoException expected) {
                // EBADF: closed.
            }
        }
    }
}
