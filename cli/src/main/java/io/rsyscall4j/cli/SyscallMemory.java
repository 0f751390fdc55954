package io.rsyscall4j.cli;

import static io.rsyscall4j.api.Linux.MAP_ANONYMOUS;
import static io.rsyscall4j.api.Linux.MAP_PRIVATE;
import static io.rsyscall4j.api.Linux.PROT_READ;
import static io.rsyscall4j.api.Linux.PROT_WRITE;

import io.rsyscall4j.Task;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import java.lang.System.Logger.Level;
import java.util.Objects;

/**
 * One page mapped in a task's address space for the pointer arguments of the launcher's own raw
 * syscalls ({@code getrlimit}, {@code newfstatat}, {@code unlinkat}), unmapped by {@link #close}.
 *
 * <p>These calls go through {@link Task#sysif()}, the escape hatch that gives up fdcore's
 * guarantees; none of them makes or closes an fd, so there is nothing for those guarantees to keep.
 * Not thread-safe: one thread between {@link #map} and {@link #close}.
 */
final class SyscallMemory implements AutoCloseable {
    static final int SIZE = 4096;
    private static final System.Logger LOG = System.getLogger("io.rsyscall4j.cli");

    private final SyscallInterface sysif;
    private final long address;
    private boolean closed;

    private SyscallMemory(SyscallInterface sysif, long address) {
        this.sysif = sysif;
        this.address = address;
    }

    /** A fresh page in {@code task}'s address space, reached through its syscall interface. */
    static SyscallMemory map(Task task) throws SyscallException {
        SyscallInterface s = task.sysif();
        return new SyscallMemory(s, s.syscall(Sys.MMAP, 0, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    }

    /** The address of the first byte, to pass to syscalls. */
    long address() {
        return address;
    }

    /** Copies {@code len} bytes of {@code src} from {@code off} into the page at {@code at}. */
    void write(int at, byte[] src, int off, int len) {
        Objects.checkFromIndexSize(off, len, src.length);
        Objects.checkFromIndexSize(at, len, SIZE);
        sysif.writeMemory(address + at, src, off, len);
    }

    /** Copies {@code len} bytes of the page at {@code at} into {@code dst} from {@code off}. */
    void read(int at, byte[] dst, int off, int len) {
        Objects.checkFromIndexSize(off, len, dst.length);
        Objects.checkFromIndexSize(at, len, SIZE);
        sysif.readMemory(address + at, dst, off, len);
    }

    /** Unmaps the page. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            sysif.syscall(Sys.MUNMAP, address, SIZE);
        } catch (SyscallException e) {
            LOG.log(Level.DEBUG, "unmapping the launcher's syscall page failed: {0}", e.getMessage());
        }
    }
}
