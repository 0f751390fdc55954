package io.rsyscall4j.bench;

import io.rsyscall4j.RemoteTask;
import io.rsyscall4j.Rsyscall;
import io.rsyscall4j.Ssh;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallInterface;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
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
 * Row {@code remote-host-syscall}: {@code getpid} run in a remote task over ssh (to an sshd
 * bench/run starts on a loopback port with throwaway keys), against C doing an 8-byte echo round
 * trip through {@code ssh ... cat} over the same kind of channel. The ssh arguments (options, then
 * the destination last) are the lines of {@code $RSYSCALL4J_BENCH_SSH}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RemoteHostBench {
    @Param({"ffm", "jna"})
    public String provider;

    private RemoteTask remote;
    private SyscallInterface sysif;

    @Setup
    public void setUp() throws IOException {
        String spec = System.getenv("RSYSCALL4J_BENCH_SSH");
        if (spec == null) {
            throw new IllegalStateException("RSYSCALL4J_BENCH_SSH is not set (ssh's arguments, one a line)");
        }
        List<String> args = Arrays.asList(spec.split("\n"));
        remote = Ssh.to(args.get(args.size() - 1)).options(args.subList(0, args.size() - 1)).connect(Rsyscall.local(provider));
        sysif = remote.sysif();
        if (sysif.syscall(Sys.GETPID) != remote.pid()) {
            throw new IllegalStateException("getpid in " + remote + " did not run there");
        }
    }

    @TearDown
    public void tearDown() {
        remote.close();
    }

    @Benchmark
    public long getpid() throws IOException {
        return sysif.syscall(Sys.GETPID);
    }
}
