package io.rsyscall4j.bench;

import io.rsyscall4j.Command;
import io.rsyscall4j.Rsyscall;
import io.rsyscall4j.Task;
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
import org.openjdk.jmh.annotations.Threads;

/**
 * Row {@code spawn-parallel-8}: eight threads each starting {@code /bin/true} and waiting for it,
 * through {@code Command} against {@code ProcessBuilder}, both with their default pipes. JMH's
 * figure is each thread's time per start+wait; with eight threads at once, the ratio of the two is
 * the inverse ratio of their throughputs.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(8)
public class SpawnParallelBench {
    @Param({"ffm", "jna"})
    public String provider;

    private Task local;

    @Setup
    public void setUp() throws IOException, InterruptedException {
        local = Rsyscall.local(provider);
        if (command() != 0) {
            throw new IllegalStateException("/bin/true failed through Command");
        }
    }

    @Benchmark
    public int command() throws IOException, InterruptedException {
        return Command.of("/bin/true").start(local).waitFor();
    }

    @Benchmark
    public int processBuilder() throws IOException, InterruptedException {
        return new ProcessBuilder("/bin/true").start().waitFor();
    }
}
