package io.rsyscall4j.bench;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Rows {@code syscall-ffm} and {@code syscall-jna}: one {@code getpid} through a provider, the
 * cheapest syscall there is, so what is measured is the provider's own cost on top of C's
 * {@code syscall(SYS_getpid)} loop (bench/c/baseline.c).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SyscallBench {
    @Param({"ffm", "jna"})
    public String provider;

    private SyscallInterface sysif;

    @Setup
    public void findProvider() {
        for (SyscallInterface s : ServiceLoader.load(SyscallInterface.class)) {
            if (s.provider().equals(provider)) {
                sysif = s;
                return;
            }
        }
        throw new IllegalStateException("no provider " + provider + " on the class path");
    }

    @Benchmark
    public long getpid() throws SyscallException {
        return sysif.syscall(Sys.GETPID);
    }
}
