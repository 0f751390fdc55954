package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.POLLIN;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.fd.internal.Poller;

/**
 * How a virtual thread waits for a child's answer without holding its carrier: parked in the
 * {@link Poller} on the eventfd the child's server writes when a batch asks to be told that way
 * (the batch's notify flag), and on the child's pidfd, which also fires at death. An exec fires
 * neither, so while the batch holds an {@code execve} the park ends every millisecond for the
 * {@link Mailbox} to look at its answer word (every 100 ms otherwise, a safety net).
 */
final class ParkedWait {
    private static final long EXEC_PARK_NANOS = 1_000_000L;
    private static final long IDLE_PARK_NANOS = 100_000_000L;

    private final SyscallInterface local;
    private final int eventFd;
    private final int pidfd;
    /** 8 bytes of the JVM's where the eventfd's count is read into. */
    private final long scratch;

    /**
     * @param local the JVM's own provider
     * @param eventFd the eventfd the server writes when asked, in the JVM's table, non-blocking
     * @param pidfd a pidfd of the child in the JVM's table
     * @param scratch 8 bytes of the JVM's memory, for reading the eventfd's count
     */
    ParkedWait(SyscallInterface local, int eventFd, int pidfd, long scratch) {
        this.local = local;
        this.eventFd = eventFd;
        this.pidfd = pidfd;
        this.scratch = scratch;
    }

    /**
     * Parks until the server writes the eventfd or the child ends, or the slice passes; then resets
     * the eventfd, so the next park waits for a new write.
     *
     * @param exec the batch holds an {@code execve}: look again within a millisecond
     */
    void park(boolean exec) throws SyscallException {
        Poller.awaitAny(local, new int[] {eventFd, pidfd}, POLLIN, exec ? EXEC_PARK_NANOS : IDLE_PARK_NANOS);
        try {
            local.syscall(Sys.READ, eventFd, scratch, 8);
        } catch (ErrnoException e) {
            if (e.errno() != Errno.EAGAIN && e.errno() != Errno.EINTR) {
                throw e;
            }
        }
    }
}
