package io.rsyscall4j.bench;

import io.rsyscall4j.Rsyscall;
import io.rsyscall4j.Task;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.OpenFlags;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * Prints the heap bytes one live handle retains: heap in use after a full GC with 10,000 open
 * {@code /dev/null} handles, less heap in use after a full GC once they are closed, over 10,000.
 * It counts everything a handle keeps alive: the handle, its state and reference, its fd table entry.
 *
 * <p>{@code java -cp ... io.rsyscall4j.bench.HeapPerHandle [ffm|jna]}
 */
public final class HeapPerHandle {
    private static final int HANDLES = 10_000;

    private HeapPerHandle() {}

    public static void main(String[] args) throws Exception {
        Task task = Rsyscall.local(args.length > 0 ? args[0] : "ffm");
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        FileDescriptor[] handles = new FileDescriptor[HANDLES];
        // Warm up: let every class and table structure reach its steady size first.
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < HANDLES; i++) {
                handles[i] = task.open("/dev/null", OpenFlags.O_RDONLY);
            }
            for (int i = 0; i < HANDLES; i++) {
                handles[i].close();
                handles[i] = null;
            }
        }
        long without = usedAfterGc(memory);
        for (int i = 0; i < HANDLES; i++) {
            handles[i] = task.open("/dev/null", OpenFlags.O_RDONLY);
        }
        long with = usedAfterGc(memory);
        for (int i = 0; i < HANDLES; i++) {
            handles[i].close();
        }
        System.out.println((with - without) / HANDLES);
    }

    private static long usedAfterGc(MemoryMXBean memory) {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
