package io.rsyscall4j.bench;

import io.rsyscall4j.ReceivedMessage;
import io.rsyscall4j.Rsyscall;
import io.rsyscall4j.SocketPair;
import io.rsyscall4j.SocketType;
import io.rsyscall4j.Sockets;
import io.rsyscall4j.Task;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.OpenFlags;
import java.io.IOException;
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
 * Row {@code fd-pass}: {@link Sockets#sendFds} of one byte and one fd down a stream socketpair,
 * {@link Task#receiveFds} of it as a handle, and that handle's close — against C doing
 * sendmsg, recvmsg and close (bench/c/baseline.c, mode fdpass).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class FdPassBench {
    private static final byte[] ONE = {'x'};

    @Param({"ffm", "jna"})
    public String provider;

    private Task task;
    private SocketPair pair;
    private List<FileDescriptor> passed;

    @Setup
    public void setUp() throws IOException {
        task = Rsyscall.local(provider);
        pair = task.socketpair(SocketType.STREAM);
        passed = List.of(task.open("/dev/null", OpenFlags.O_RDONLY));
    }

    @TearDown
    public void tearDown() throws IOException {
        passed.get(0).close();
        pair.first().close();
        pair.second().close();
    }

    @Benchmark
    public int sendAndReceive() throws IOException {
        Sockets.sendFds(pair.first(), ONE, passed);
        ReceivedMessage m = task.receiveFds(pair.second(), 1, 1);
        FileDescriptor got = m.fds().get(0);
        int n = got.number();
        got.close();
        return n;
    }
}
