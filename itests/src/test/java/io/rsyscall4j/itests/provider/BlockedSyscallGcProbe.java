package io.rsyscall4j.itests.provider;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallInterface;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Run in its own JVM by {@link BlockedSyscallTest}: one thread blocks in {@code read} of an empty
 * pipe through provider {@code args[0]}, then this thread runs a full GC and only afterwards
 * writes the byte that releases the reader. If the provider made {@code read} in a way that keeps
 * the JVM from reaching a safepoint, the GC never ends, and the JVM hangs (the test kills it).
 */
final class BlockedSyscallGcProbe {
    private BlockedSyscallGcProbe() {}

    public static void main(String[] args) throws Exception {
        SyscallInterface sysif = ServiceLoader.load(SyscallInterface.class).stream()
                .map(ServiceLoader.Provider::get).filter(s -> s.provider().equals(args[0])).findFirst().orElseThrow();
        try (Arena arena = Arena.ofShared()) {
            MemorySegment fds = arena.allocate(ValueLayout.JAVA_INT, 2);
            sysif.syscall(Sys.PIPE2, fds.address(), Kernel.O_CLOEXEC);
            int r = fds.getAtIndex(ValueLayout.JAVA_INT, 0);
            int w = fds.getAtIndex(ValueLayout.JAVA_INT, 1);
            MemorySegment buf = arena.allocate(1);
            AtomicLong tid = new AtomicLong();
            Thread reader = new Thread(() -> {
                try {
                    tid.set(sysif.syscall(Sys.GETTID));
                    sysif.syscall(Sys.READ, r, buf.address(), 1);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            reader.start();
            awaitBlockedInRead(tid);
            System.gc();
            System.out.println("gc done while a read was blocked");
            sysif.syscall(Sys.WRITE, w, buf.address(), 1);
            reader.join();
        }
    }

    /** Waits until the reader thread is inside read(2), as the kernel reports it. */
    private static void awaitBlockedInRead(AtomicLong tid) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (System.nanoTime() < deadline) {
            long t = tid.get();
            if (t != 0) {
                String syscall = Files.readString(Path.of("/proc/self/task/" + t + "/syscall"));
                if (syscall.startsWith(Sys.READ.number() + " ")) {
                    return;
                }
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        throw new IllegalStateException("the reader never blocked in read");
    }
}
