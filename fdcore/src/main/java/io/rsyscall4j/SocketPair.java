package io.rsyscall4j;

import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.fd.FileDescriptor;

/**
 * The two connected ends of a Unix socket pair made by {@link Task#socketpair}: what one end
 * sends, the other receives. Both are close-on-exec.
 *
 * <p>{@link AutoCloseable}, as {@link Pipe} is: {@link #close} gives up both handles.
 */
public record SocketPair(FileDescriptor first, FileDescriptor second) implements AutoCloseable {
    /**
     * {@linkplain FileDescriptor#invalidate Invalidates} both ends, as {@link Pipe#close} does:
     * each end's fd is closed if this pair's handle was its last one; an end moved or closed
     * already is left alone.
     *
     * @throws SyscallException {@code close(2)} of an end failed with an errno
     */
    @Override
    public void close() throws SyscallException {
        Pipe.invalidateBoth(first, second);
    }
}
