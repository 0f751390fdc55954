package io.rsyscall4j.itests.taskprobe;

import io.rsyscall4j.Pipe;
import io.rsyscall4j.Rsyscall;
import io.rsyscall4j.Task;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * The smoke scenario outside OSGi: the local task over the provider named in {@code args[0]}
 * (found by fdcore through {@code ServiceLoader}), a pipe written and read, both ends closed, and
 * the kernel's {@code /proc/self/fd} asked at each step. Prints one line of facts.
 */
public final class TaskProbe {
    private TaskProbe() {}

    public static void main(String[] args) throws Exception {
        Task task = Rsyscall.local(args[0]);
        Pipe pipe = task.pipe();
        int read = pipe.read().number();
        int write = pipe.write().number();
        String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + read)).toString();
        pipe.write().writeAll("smoke".getBytes(StandardCharsets.UTF_8));
        String got = new String(pipe.read().read(5), StandardCharsets.UTF_8);
        pipe.read().close();
        pipe.write().close();
        boolean closed = Files.notExists(Path.of("/proc/self/fd/" + read), LinkOption.NOFOLLOW_LINKS)
                && Files.notExists(Path.of("/proc/self/fd/" + write), LinkOption.NOFOLLOW_LINKS);
        Module fdcore = Task.class.getModule();
        System.out.println("provider=" + task.sysif().provider()
                + " fdcore=" + (fdcore.isNamed() ? fdcore.getName() : "unnamed")
                + " pid=" + task.pid()
                + " pipe=" + target.startsWith("pipe:")
                + " read=" + got
                + " closed=" + closed);
    }
}
