package io.rsyscall4j;

import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.fd.FileDescriptor;

/**
 * The two ends of a pipe made by {@link Task#pipe()}: bytes written to {@code write} are read from
 * {@code read}. Both ends are close-on-exec.
 *
 * <p>{@link AutoCloseable}: {@link #close} gives up both handles, so a pipe in try-with-resources
 * is closed at the end of the block unless its ends were handed on.
 */
public record Pipe(FileDescriptor read, FileDescriptor write) implements AutoCloseable {
    /**
     * {@linkplain FileDescriptor#invalidate Invalidates} both ends: each end's fd is closed if
     * this pipe's handle was its last one; an end moved or closed already is left alone. Unlike
     * {@link FileDescriptor#close}, this does not insist on being the only holder: a pipe exists to
     * lend its ends out ({@code inheritFd}, {@code forTask}, {@code dup2}), and those other handles
     * keep their fd open. Both ends are invalidated even if closing the first fails.
     *
     * @throws SyscallException {@code close(2)} of an end failed with an errno (that end is given
     *     up all the same)
     */
    @Override
    public void close() throws SyscallException {
        invalidateBoth(read, write);
    }

    /** Invalidates {@code a} then {@code b}, {@code b} also when {@code a} fails. */
    static void invalidateBoth(FileDescriptor a, FileDescriptor b) throws SyscallException {
        try {
            a.invalidate();
        } catch (SyscallException | RuntimeException e) {
            try {
                b.invalidate();
            } catch (SyscallException | RuntimeException second) {
                e.addSuppressed(second);
            }
            throw e;
        }
        b.invalidate();
    }
}
