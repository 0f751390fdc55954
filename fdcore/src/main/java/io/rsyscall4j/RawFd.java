package io.rsyscall4j;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;

/** Closing fd numbers that no handle owns, on a path that is already failing or ending. */
final class RawFd {
    private RawFd() {}

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
