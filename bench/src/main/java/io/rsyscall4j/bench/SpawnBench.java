package io.rsyscall4j.bench;

import io.rsyscall4j.ChildProcess;
import io.rsyscall4j.ChildTask;
import io.rsyscall4j.Command;
import io.rsyscall4j.Rsyscall;
import io.rsyscall4j.Task;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.OpenFlags;
import java.io.IOException;
import java.lang.ref.Reference;
import java.util.ArrayList;
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
 * Row {@code spawn}: a child task that inherits three extra fds, execs {@code /bin/true} with them
 * and is waited for, against {@code new ProcessBuilder("/bin/true").start().waitFor()}, which
 * cannot pass extra fds at all. Row {@code spawn-command}: {@link Command} doing the same with the
 * three fds at numbers 3, 4 and 5 and stdio inherited, against C's {@code posix_spawn} with three
 * {@code dup2} file actions ({@code baseline spawnfds}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SpawnBench {
    @Param({"ffm", "jna"})
    public String provider;

    private Task local;
    private final List<FileDescriptor> extra = new ArrayList<>();

    @Setup
    public void setUp() throws IOException, InterruptedException {
        local = Rsyscall.local(provider);
        for (int i = 0; i < 3; i++) {
            extra.add(local.open("/dev/null", OpenFlags.O_RDONLY));
        }
        // The extra fds really reach the program: a shell that checks they are open exits 0.
        StringBuilder test = new StringBuilder("exec test");
        for (FileDescriptor fd : extra) {
            test.append(test.length() > 9 ? " -a" : "").append(" -e /proc/self/fd/").append(fd.number());
        }
        if (spawn("/bin/sh", List.of("sh", "-c", test.toString())) != 0) {
            throw new IllegalStateException("the program did not get fds " + extra + ": " + test);
        }
        String at345 = "exec test -e /proc/self/fd/3 -a -e /proc/self/fd/4 -a -e /proc/self/fd/5";
        if (command("/bin/sh", "-c", at345).start(local).waitFor() != 0) {
            throw new IllegalStateException("Command did not give fds 3, 4 and 5: " + at345);
        }
    }

    @TearDown
    public void tearDown() throws IOException {
        for (FileDescriptor fd : extra) {
            fd.close();
        }
    }

    @Benchmark
    public int childTask() throws IOException, InterruptedException {
        return spawn("/bin/true", List.of("true"));
    }

    @Benchmark
    public int command() throws IOException, InterruptedException {
        int status = command("/bin/true").start(local).waitFor();
        if (status != 0) {
            throw new IllegalStateException("/bin/true exited " + status);
        }
        return status;
    }

    /** {@code program} with the extra fds at 3, 4 and 5, stdio the JVM's (as C's posix_spawn). */
    private Command command(String program, String... args) {
        Command c = Command.of(program, args).inheritIO();
        for (int i = 0; i < extra.size(); i++) {
            c.fd(3 + i, extra.get(i));
        }
        return c;
    }

    @Benchmark
    public int processBuilder() throws IOException, InterruptedException {
        return new ProcessBuilder("/bin/true").start().waitFor();
    }

    private int spawn(String path, List<String> argv) throws IOException, InterruptedException {
        ChildTask child = local.clone();
        // The child's handles must stay reachable until the exec: exec first closes every fd whose
        // handles were garbage-collected, and a handle dropped right away may be collected already.
        List<FileDescriptor> inherited = new ArrayList<>(extra.size());
        for (FileDescriptor fd : extra) {
            FileDescriptor copy = child.inheritFd(fd);
            copy.disableCloexec();
            inherited.add(copy);
        }
        ChildProcess p = child.exec(path, argv);
        Reference.reachabilityFence(inherited);
        int status = p.waitFor();
        if (status != 0) {
            throw new IllegalStateException(path + " exited " + status);
        }
        return status;
    }
}
