package io.rsyscall4j.bench;

import static io.rsyscall4j.api.Linux.AT_FDCWD;
import static io.rsyscall4j.api.Linux.PAGE_SIZE;

import io.rsyscall4j.Rsyscall;
import io.rsyscall4j.Task;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.OpenFlags;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
 * Row {@code handle-cycle}: open {@code /dev/null} as an owned {@link FileDescriptor} and close it,
 * against the bare {@code openat} + {@code close} through the same provider. The difference is
 * what ownership costs: tracking the handle in its fd table, and copying the path to memory.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HandleCycleBench {

    @Param({"ffm", "jna"})
    public String provider;

    private Task task;
    private SyscallInterface sysif;
    /** A page holding "/dev/null\0" for the raw openat. */
    private long path;

    @Setup
    public void setUp() throws IOException {
        task = Rsyscall.local(provider);
        sysif = task.sysif();
        path = Memory.map(sysif, PAGE_SIZE);
        byte[] devNull = "/dev/null\0".getBytes(StandardCharsets.US_ASCII);
        sysif.writeMemory(path, devNull, 0, devNull.length);
    }

    @TearDown
    public void tearDown() throws IOException {
        Memory.unmap(sysif, path, PAGE_SIZE);
    }

    @Benchmark
    public int handle() throws IOException {
        FileDescriptor fd = task.open("/dev/null", OpenFlags.O_RDONLY);
        int n = fd.number();
        fd.close();
        return n;
    }

    @Benchmark
    public long raw() throws IOException {
        long fd = sysif.syscall(Sys.OPENAT, AT_FDCWD, path, OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC);
        sysif.syscall(Sys.CLOSE, fd);
        return fd;
    }
}
