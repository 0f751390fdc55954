package io.rsyscall4j.bench;

import io.rsyscall4j.ChildTask;
import io.rsyscall4j.CloneFlag;
import io.rsyscall4j.Rsyscall;
import io.rsyscall4j.Task;
import io.rsyscall4j.api.Sys;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Row {@code idle-children-10k}: what one idle child task costs when many live at once. Makes
 * {@code count} children of the JVM, checks every one still answers ({@code getpid} run in it
 * returns its pid), and prints, per child, the bytes it costs and the time to make it:
 * {@code total heap rss kernel nsPerClone}, where {@code total = rss + kernel}. Rss is the JVM
 * process's growth in resident pages: the children's stacks (they share its memory) and the
 * heap the JVM committed for them, which is more than {@code heap}, the JVM's heap in use after
 * full GCs (shown, not added: it is inside rss). Kernel is the machine's
 * {@code KernelStack + Slab + PageTables} from {@code /proc/meminfo} (task structs, kernel
 * stacks, fd tables, pipes, pidfds; other processes' changes meanwhile count too, so run it on a
 * quiet machine).
 *
 * <p>{@code java -cp ... io.rsyscall4j.bench.IdleChildren ffm 10000 [files]}: {@code files}
 * makes {@link CloneFlag#FILES} children, which share the JVM's fd table instead of copying it.
 */
public final class IdleChildren {
    private IdleChildren() {}

    public static void main(String[] args) throws Exception {
        Task local = Rsyscall.local(args[0]);
        int count = Integer.parseInt(args[1]);
        CloneFlag[] flags = args.length > 2 && args[2].equals("files") ? new CloneFlag[] {CloneFlag.FILES} : new CloneFlag[0];
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        local.clone(flags).exit(0); // the spawner thread and the classes, before the first reading
        long heap0 = usedAfterGc(memory);
        long rss0 = kib("/proc/self/status", "VmRSS:") * 1024;
        long kernel0 = kernelKib();
        List<ChildTask> children = new ArrayList<>(count);
        long t0 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            children.add(local.clone(flags));
        }
        long nsPerClone = (System.nanoTime() - t0) / count;
        for (ChildTask c : children) {
            long pid = c.sysif().syscall(Sys.GETPID);
            if (pid != c.pid()) {
                throw new IllegalStateException("child " + c.pid() + " answered getpid with " + pid);
            }
        }
        long heap = (usedAfterGc(memory) - heap0) / count;
        long rss = (kib("/proc/self/status", "VmRSS:") * 1024 - rss0) / count;
        long kernel = (kernelKib() - kernel0) * 1024 / count;
        System.out.println((rss + kernel) + " " + heap + " " + rss + " " + kernel + " " + nsPerClone);
        for (ChildTask c : children) {
            c.exit(0);
        }
    }

    private static long kernelKib() throws IOException {
        return kib("/proc/meminfo", "KernelStack:") + kib("/proc/meminfo", "Slab:") + kib("/proc/meminfo", "PageTables:");
    }

    /** The kB figure of the line starting with {@code key} in {@code file}. */
    private static long kib(String file, String key) throws IOException {
        for (String line : Files.readAllLines(Path.of(file))) {
            if (line.startsWith(key)) {
                return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
            }
        }
        throw new IOException("no " + key + " in " + file);
    }

    private static long usedAfterGc(MemoryMXBean memory) {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
