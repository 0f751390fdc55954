package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.O_CLOEXEC;
import static io.rsyscall4j.api.Linux.POLLIN;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.spi.AbstractInterruptibleChannel;

/**
 * A platform thread's interruptible wait for a pidfd of the JVM's table to poll readable (its
 * process ended): one {@code poll(2)} on the pidfd and on an eventfd of the wait's own, which an
 * interrupt writes.
 *
 * <p>A thread blocked in a syscall does not see {@link Thread#interrupt} by itself. The JDK's hook
 * for making such a call interruptible is {@link AbstractInterruptibleChannel#begin}: while the
 * call is in progress, an interrupt runs {@link #implCloseChannel} on the interrupting thread,
 * which writes the eventfd and so ends the poll at once (no polling in slices, nothing to tune).
 * The eventfd costs two syscalls a wait ({@code eventfd2}, {@code close}).
 */
final class PidfdWait extends AbstractInterruptibleChannel {
    /** The two {@code struct pollfd}s, then the 8 bytes an interrupt writes to the eventfd. */
    private static final int MEMORY = 24;
    private static final int COUNTER = 16;

    private final SyscallInterface local;
    private final int eventFd;
    private final long memory;
    /** Set once the poll is over: closing then writes nothing. */
    private volatile boolean over;

    private PidfdWait(SyscallInterface local, int eventFd, long memory) {
        this.local = local;
        this.eventFd = eventFd;
        this.memory = memory;
    }

    /**
     * Blocks until {@code pidfd} polls readable; {@code memory} is {@link #MEMORY} bytes of the
     * JVM's that nothing else uses meanwhile.
     *
     * @throws InterruptedException this thread was interrupted before the process ended (the
     *     interrupt status is cleared, as {@code Object.wait} does)
     */
    static void await(SyscallInterface local, int pidfd, long memory) throws InterruptedException, SyscallException {
        PidfdWait w = new PidfdWait(local, (int) local.syscall(Sys.EVENTFD2, 0, O_CLOEXEC), memory);
        boolean ended = false;
        try {
            local.writeMemory(memory, ByteBuffer.allocate(MEMORY).order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(pidfd).putShort(POLLIN).putShort((short) 0)
                    .putInt(w.eventFd).putShort(POLLIN).putShort((short) 0)
                    .putLong(1).array(), 0, MEMORY);
            try {
                w.begin();
                ended = w.poll();
            } finally {
                w.over = true;
                w.end(ended);
            }
        } catch (ClosedByInterruptException e) {
            if (!ended) {
                Thread.interrupted();
                throw new InterruptedException("interrupted while waiting for the process of pidfd " + pidfd);
            }
            // it ended all the same: the status stands, the interrupt stays set for later
        } catch (java.io.IOException e) {
            throw new IllegalStateException("only an interrupt closes a pidfd wait", e);
        } finally {
            try {
                w.close(); // after this no interrupt writes the eventfd any more
            } catch (java.io.IOException e) {
                // implCloseChannel throws nothing
            }
            RawFd.closeQuietly(local, w.eventFd, null);
        }
    }

    /** Polls until the pidfd (true) or the eventfd (false: an interrupt) is readable. */
    private boolean poll() throws SyscallException {
        while (true) {
            try {
                if (local.syscall(Sys.POLL, memory, 2, -1) > 0) {
                    byte[] revents = new byte[2];
                    local.readMemory(memory + 6, revents, 0, 2);
                    return revents[0] != 0 || revents[1] != 0;
                }
            } catch (ErrnoException e) {
                if (e.errno() != Errno.EINTR) {
                    throw e;
                }
            }
        }
    }

    /** Run once, by an interrupt (ending the poll) or by {@link #await}'s close. */
    @Override
    protected void implCloseChannel() {
        if (!over) {
            try {
                local.syscall(Sys.WRITE, eventFd, memory + COUNTER, 8);
            } catch (SyscallException | RuntimeException e) {
                // an eventfd's counter of 1 cannot overflow; nothing else can fail here
            }
        }
    }
}
