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
 * Row {@code remote-syscall}: {@code getpid} run inside a child task — a request down a pipe to
 * the child's syscall server and its answer up another — against two C processes ping-ponging the
 * same number of bytes over pipes. bench/run gives both the same CPU placement. (The control row
 * {@code remote-syscall-vs-socket} runs the same benchmark against C over a socketpair, the
 * transport child tasks used before.)
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
