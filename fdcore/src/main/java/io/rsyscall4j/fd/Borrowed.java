package io.rsyscall4j.fd;

import io.rsyscall4j.api.SyscallException;
import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The right to pass one fd number to syscalls of one task, until {@link #close}.
 *
 * <p>A borrow is a stronger reference than a handle: while it is open the number is not closed,
 * even if the last handle to it is invalidated or garbage-collected meanwhile — that close is put off
 * until the borrow ends, and done then. (rsyscall's {@code borrow} notes it "does not stop a
 * concurrent invalidate"; this one does, so a syscall never runs on a number that was closed, and
 * perhaps reused for another file, under it.) Use it in try-with-resources; do not use the number
 * after closing.
 *
 * <p>Closing is idempotent and may happen on any thread. A put-off close that fails is logged, not
 * thrown: the fd is released by the kernel all the same.
 */
public final class Borrowed implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.rsyscall4j.fd");

    private final FDTable table;
    private final FileDescriptorTask task;
    private final int number;
    private final AtomicBoolean ended = new AtomicBoolean();

    Borrowed(FDTable table, FileDescriptorTask task, int number) {
        this.table = table;
        this.task = task;
        this.number = number;
    }

    /** The fd number to pass to {@link #task()}'s syscalls. */
    public int number() {
        return number;
    }

    /** The task the number may be used with. */
    public FileDescriptorTask task() {
        return task;
    }

    /** Ends the borrow; if the fd lost its last handle meanwhile, closes it now. */
    @Override
    public void close() {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        try {
            HandleRelease.endBorrow(table, task, number);
        } catch (SyscallException e) {
            LOG.log(Level.WARNING, "rsyscall4j: put-off close of fd " + number + " through " + task + " failed", e);
        }
    }

    @Override
    public String toString() {
        return "Borrowed[fd " + number + " of " + task + (ended.get() ? ", ended]" : "]");
    }
}
