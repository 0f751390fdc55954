package io.rsyscall4j;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Fd numbers that no handle owns: making a pipe's, and closing them on a path already failing or ending. */
final class RawFd {
    private RawFd() {}

    /**
     * {@code pipe2(2)} with {@code flags} through {@code sysif}, which writes the two numbers at
     * {@code scratch} (8 bytes of its memory): returns the read end, then the write end.
     */
    static int[] pipe2(SyscallInterface sysif, long scratch, int flags) throws SyscallException {
        sysif.syscall(Sys.PIPE2, scratch, flags);
        byte[] ends = new byte[8];
        sysif.readMemory(scratch, ends, 0, 8);
        ByteBuffer b = ByteBuffer.wrap(ends).order(ByteOrder.LITTLE_ENDIAN);
        return new int[] {b.getInt(), b.getInt()};
    }

    /**
     * {@code close(2)} of {@code fd} through {@code sysif}, never throwing: a failure of the close is
     * added to {@code failure}, or dropped where {@code failure} is null (the number is released
     * whatever close says, and a connection being shut down has no one to tell). A negative
     * {@code fd} is no fd (a connection without an eventfd has -1): nothing is closed.
     */
    static void closeQuietly(SyscallInterface sysif, int fd, Throwable failure) {
        if (fd < 0) {
            return;
        }
        try {
            sysif.syscall(Sys.CLOSE, fd);
        } catch (SyscallException | RuntimeException e) {
            if (failure != null) {
                failure.addSuppressed(e);
            }
        }
    }
}
