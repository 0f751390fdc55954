package io.rsyscall4j.bench;

import io.rsyscall4j.ChildTask;
import io.rsyscall4j.Rsyscall;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallInterface;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Rows {@code remote-syscall} and {@code futex-ping-pong}: {@code getpid} run inside a child task —
 * a request stored in the mailbox the JVM shares with the child's syscall server, each side
 * handing the CPU over with {@code sched_yield} while it spins, futex wake-ups only for a side
 * that went to sleep — against two C processes ping-ponging the same bytes over two pipes (the
 * transport child tasks used before), and against two C processes sharing memory and futex-waking
 * each other. bench/run gives all the same CPU placement. (The control rows run it against C over
 * a socketpair, {@code remote-syscall-vs-socket}, and against C doing the mailbox's hand-off
 * between two threads, {@code remote-syscall-vs-yield}: the floor of the hand-off on one CPU.)
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RemoteSyscallBench {
    @Param({"ffm", "jna"})
    public String provider;

    private ChildTask child;
    private SyscallInterface remote;

    @Setup
    public void setUp() throws IOException {
        child = Rsyscall.local(provider).clone();
        remote = child.sysif();
        if (remote.syscall(Sys.GETPID) != child.pid()) {
            throw new IllegalStateException("getpid in " + child + " did not run in the child");
        }
    }

    @TearDown
    public void tearDown() throws IOException {
        child.exit(0);
    }

    @Benchmark
    public long getpid() throws IOException {
        return remote.syscall(Sys.GETPID);
    }
}
