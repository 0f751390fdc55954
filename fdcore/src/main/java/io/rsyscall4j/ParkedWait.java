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
 * {@link Poller} on the JVM's copy of the eventfd the child's server writes when a batch asks to
 * be told that way (the batch's notify flag), and on the child's pidfd, which also fires at death.
 * An exec fires neither (but a direct spawn's pipe: see {@link ServerEventFd}), so while the batch
 * holds an {@code execve} the park ends every millisecond for the {@link Mailbox} to look at its
 * answer word (every 100 ms otherwise, a safety net).
 *
 * <p>The JVM's copy is fetched from the child's table ({@code pidfd_getfd}) before the first batch
 * that asks to be told, unless the child was made with it: a child only platform threads call
 * costs the JVM one fd, its pidfd, and so ten thousand of them fit under a limit of twenty
 * thousand. Where the fetch fails (a child whose server no longer holds its eventfd, or one the
 * JVM may not take fds from), the park looks at the answer word every millisecond instead, as for
 * an exec, and the next batch tries again.
 */
final class ParkedWait {
    private static final System.Logger LOG = System.getLogger(ParkedWait.class.getName());
    private static final long EXEC_PARK_NANOS = 1_000_000L;
    private static final long IDLE_PARK_NANOS = 100_000_000L;

    private final SyscallInterface local;
    private final int serverFd;
    private final int pidfd;
    /** 8 bytes of the JVM's where the eventfd's count is read into. */
    private final long scratch;
    /** The JVM's copy of the server's eventfd, or -1 until fetched. */
    private int eventFd;

    /**
     * @param local the JVM's own provider
     * @param efd the server's eventfd: its number in the child's table, and the JVM's copy, owned
     *     from now on, or -1 to fetch it when first needed
     * @param pidfd a pidfd of the child in the JVM's table
     * @param scratch 8 bytes of the JVM's memory, for reading the eventfd's count
     */
    ParkedWait(SyscallInterface local, ServerEventFd efd, int pidfd, long scratch) {
        this.local = local;
        this.serverFd = efd.server();
        this.eventFd = efd.jvm();
        this.pidfd = pidfd;
        this.scratch = scratch;
    }

    /** Fetches the JVM's copy of the server's eventfd if it has none yet: a batch that asks to be told follows. */
    void fetch() {
        if (eventFd < 0 && serverFd >= 0) {
            try {
                int fd = (int) local.syscall(Sys.PIDFD_GETFD, pidfd, serverFd, 0);
                eventFd = FdPlacement.moveAboveQuietly(local, fd, FdPlacement.JVM_FLOORS);
            } catch (SyscallException e) {
                LOG.log(System.Logger.Level.DEBUG, "can't take the eventfd of a child's server; a virtual thread"
                        + " waiting for it looks every millisecond", e);
            }
        }
    }

    /**
     * Parks until the server writes the eventfd or the child ends, or the slice passes; then resets
     * the eventfd, so the next park waits for a new write.
     *
     * @param exec the batch holds an {@code execve}: look again within a millisecond
     */
    void park(boolean exec) throws SyscallException {
        if (eventFd < 0) {
            Poller.awaitAny(local, new int[] {pidfd}, POLLIN, EXEC_PARK_NANOS);
            return;
        }
        Poller.awaitAny(local, new int[] {eventFd, pidfd}, POLLIN, exec ? EXEC_PARK_NANOS : IDLE_PARK_NANOS);
        try {
            local.syscall(Sys.READ, eventFd, scratch, 8);
        } catch (ErrnoException e) {
            if (e.errno() != Errno.EAGAIN && e.errno() != Errno.EINTR) {
                throw e;
            }
        }
    }

    /** Closes the JVM's copy of the eventfd, if it has one. */
    void close() {
        if (eventFd >= 0) {
            RawFd.closeQuietly(local, eventFd, null);
            eventFd = -1;
        }
    }
}
