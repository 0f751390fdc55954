package io.rsyscall4j.fd.internal;

import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import java.io.UncheckedIOException;
import java.util.Objects;

/**
 * A piece of memory in a task's address space, lent to one thread for the arguments and results
 * of its syscalls, and given back by {@link #close} (use try-with-resources).
 *
 * <p>Obtained from {@link FdInternals#scratch}; bytes move in and out through the syscall
 * interface it was obtained with, so the same code serves the JVM and any task sharing its memory.
 * Not thread-safe: it belongs to one thread between {@code scratch} and {@code close}.
 */
public final class ScratchBuffer implements AutoCloseable {
    /** Where a buffer goes back to when closed: its address space's pool. */
    public interface Pool {
        /** Takes {@code b} back; {@code through} is the syscall interface it was last used with. */
        void release(ScratchBuffer b, SyscallInterface through);
    }

    private final Pool space;
    private final long address;
    private final int capacity;
    private SyscallInterface sysif;

    /** A buffer of {@code capacity} bytes at {@code address}, given back to {@code space}. */
    public ScratchBuffer(Pool space, long address, int capacity) {
        this.space = space;
        this.address = address;
        this.capacity = capacity;
    }

    /** Lends the buffer out, to be used through {@code through} until {@link #close}. */
    public void acquire(SyscallInterface through) {
        this.sysif = through;
    }

    /** The address of the first byte, to pass to syscalls. */
    public long address() {
        return address;
    }

    /** How many bytes it holds. */
    public int capacity() {
        return capacity;
    }

    /** Copies {@code len} bytes of {@code src} from {@code off} into the buffer at {@code at}. */
    public void write(int at, byte[] src, int off, int len) {
        Objects.checkFromIndexSize(off, len, src.length);
        Objects.checkFromIndexSize(at, len, capacity);
        live().writeMemory(address + at, src, off, len);
    }

    /**
     * Copies {@code len} bytes of the buffer at {@code at} into {@code dst} from {@code off}.
     *
     * @throws SyscallException the memory is another host's, and its connection failed
     *     ({@link io.rsyscall4j.api.SyscallSendError} or {@link io.rsyscall4j.api.SyscallHangup},
     *     which {@code readMemory} can only carry unchecked)
     */
    public void read(int at, byte[] dst, int off, int len) throws SyscallException {
        Objects.checkFromIndexSize(off, len, dst.length);
        Objects.checkFromIndexSize(at, len, capacity);
        try {
            live().readMemory(address + at, dst, off, len);
        } catch (UncheckedIOException e) {
            if (e.getCause() instanceof SyscallException s) {
                throw s;
            }
            throw e;
        }
    }

    /** The native-endian (x86_64: little-endian) {@code int} at {@code at}; throws as {@link #read}. */
    public int readInt(int at) throws SyscallException {
        byte[] b = new byte[4];
        read(at, b, 0, 4);
        return (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24;
    }

    /** Gives the buffer back to its address space's pool. Idempotent. */
    @Override
    public void close() {
        SyscallInterface through = sysif;
        if (through != null) {
            sysif = null;
            space.release(this, through);
        }
    }

    private SyscallInterface live() {
        SyscallInterface s = sysif;
        if (s == null) {
            throw new IllegalStateException("scratch buffer at 0x" + Long.toHexString(address) + " was given back");
        }
        return s;
    }

    @Override
    public String toString() {
        return "ScratchBuffer[0x" + Long.toHexString(address) + ", " + capacity + " bytes in " + space + "]";
    }
}
