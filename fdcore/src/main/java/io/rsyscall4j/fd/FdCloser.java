package io.rsyscall4j.fd;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallHangup;
import io.rsyscall4j.api.SyscallSendError;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.locks.Condition;

/**
 * Closes the fds of one {@link FDTable} that no handle owns any more: the garbage collection half
 * of the table, as {@link FDTable} is the tracking half.
 *
 * <p>Every close here follows the table's rule: the numbers are taken out of tracking, under the
 * table's lock, before the {@code close} is issued. A close that certainly did not run
 * ({@link SyscallSendError}) puts its numbers back for another task of the table; one that may
 * have run ({@link SyscallHangup}) is never retried. Syscalls are made outside the lock.
 */
final class FdCloser {
    private static final System.Logger LOG = System.getLogger("io.rsyscall4j.fd");

    private final FDTable table;
    /** GC batches being closed right now, by ticket, so {@link #awaitGcBatches} can wait for them. */
    private final TreeSet<Long> batchesInFlight = new TreeSet<>();
    private final Condition batchDone;
    private long nextTicket;
    /** Counts put-backs, so a waiter can tell that an in-flight batch handed fds back. */
    private long putBacks;

    FdCloser(FDTable table) {
        this.table = table;
        this.batchDone = table.lock.newCondition();
    }

    /**
     * Closes every fd of the table that no handle owns any more, through some live task of the
     * table (rsyscall's {@code run_gc}). If a close through one task cannot be sent (the task is
     * gone), the fds go back to the table and the next live task is tried; a close that hangs up
     * (sent, and perhaps run) is not retried. Does nothing if no task is usable.
     *
     * @throws IOException the first errno a {@code close} returned; those fds are gone from
     *     tracking all the same (a failed close is never retried: on Linux the fd is released anyway)
     */
    void runGc() throws IOException {
        List<FileDescriptorTask> failed = new ArrayList<>();
        IOException first = null;
        for (;;) {
            FileDescriptorTask task = taskInTable(failed);
            if (task == null) {
                break;
            }
            CloseOutcome outcome = closeUnowned(task);
            first = merge(first, outcome.error);
            if (!outcome.hungUp) {
                break;
            }
            failed.add(task);
        }
        if (first != null) {
            throw first;
        }
    }

    /**
     * Closes every fd of the table that no handle owns, through {@code task} (rsyscall's
     * {@code gc_using_task}). A close that cannot be sent puts its fds back for another task.
     *
     * @throws FDTableMismatchException {@code task} is not in the table
     * @throws IOException the first errno a {@code close} returned
     */
    void gcUsingTask(FileDescriptorTask task) throws IOException {
        if (task.fdTable() != table) {
            throw new FDTableMismatchException("can't GC " + table + " through " + task
                    + ": that task is in " + task.fdTable());
        }
        CloseOutcome outcome = closeUnowned(task);
        if (outcome.error != null) {
            throw outcome.error;
        }
    }

    /** The outcome of closing a batch of numbers through one task. */
    private record CloseOutcome(boolean hungUp, IOException error) {
        static final CloseOutcome NOTHING = new CloseOutcome(false, null);
    }

    /**
     * The first live task of the table that is not changing tables (rsyscall's
     * {@code _get_task_in_table}), skipping {@code exclude}; forgets collected tasks.
     */
    FileDescriptorTask taskInTable(List<FileDescriptorTask> exclude) {
        table.lock.lock();
        try {
            for (Iterator<WeakReference<FileDescriptorTask>> it = table.tasks.iterator(); it.hasNext(); ) {
                FileDescriptorTask t = it.next().get();
                if (t == null) {
                    it.remove();
                } else if (t.fdTable() == table && !t.isManipulatingFdTable() && !containsIdentity(exclude, t)) {
                    return t;
                }
            }
            return null;
        } finally {
            table.lock.unlock();
        }
    }

    /** Takes responsibility for every unowned fd, then closes them through {@code task}. */
    private CloseOutcome closeUnowned(FileDescriptorTask task) {
        int[] taken;
        long ticket;
        table.lock.lock();
        try {
            if (table.unowned.isEmpty()) {
                return CloseOutcome.NOTHING;
            }
            taken = new int[table.unowned.cardinality()];
            int count = 0;
            for (int n = table.unowned.nextSetBit(0); n >= 0; n = table.unowned.nextSetBit(n + 1)) {
                // One map operation per number: an unowned mark whose entry has been claimed
                // again since (a new handle at that number) is rare, and put back.
                FdEntry e = table.nearToHandles.remove(n);
                if (e == null) {
                    continue;
                }
                if (!e.isUnowned()) {
                    table.nearToHandles.put(n, e);
                    continue;
                }
                table.forgetInheritedLocked(n);
                table.inherited.takenLocked(n, e);
                taken[count++] = n;
            }
            table.unowned.clear();
            if (count == 0) {
                return CloseOutcome.NOTHING;
            }
            if (count < taken.length) {
                taken = Arrays.copyOf(taken, count);
            }
            ticket = ++nextTicket;
            batchesInFlight.add(ticket);
        } finally {
            table.lock.unlock();
        }
        if (LOG.isLoggable(Level.DEBUG)) {
            LOG.log(Level.DEBUG, "gc for {0}: closing {1} fds {2} through {3}", table, taken.length,
                    ranges(taken), task);
        }
        try {
            // Before the close, while the fds are still open here: a table copied from this one
            // from now on holds them, and one copied before is no longer pending (see InheritedCopies).
            InheritedCopies.releaseInCopies(table);
            return closeTaken(task, taken);
        } finally {
            table.lock.lock();
            try {
                batchesInFlight.remove(ticket);
                batchDone.signalAll();
            } finally {
                table.lock.unlock();
            }
        }
    }

    /**
     * Waits until every GC batch that was being closed when this was called has finished, so that
     * a {@code runFdTableGc} that found its garbage already taken by the reaper still returns only
     * once that garbage is closed. Returns the put-back count seen at the end.
     */
    long awaitGcBatches() {
        table.lock.lock();
        try {
            long upTo = nextTicket;
            while (!batchesInFlight.isEmpty() && batchesInFlight.first() <= upTo) {
                batchDone.awaitUninterruptibly();
            }
            return putBacks;
        } finally {
            table.lock.unlock();
        }
    }

    long putBackCount() {
        table.lock.lock();
        try {
            return putBacks;
        } finally {
            table.lock.unlock();
        }
    }

    /**
     * Closes {@code numbers} (sorted, all taken by the caller) through {@code task}: runs of
     * consecutive numbers with one {@code close_range}, others with {@code close}. On a send error
     * the numbers not yet closed go back to the table; on a hangup those of the call that hung up
     * are forgotten (it may have run) and the later ones go back. Either way the task moves to the
     * end of the task list so the next GC tries a live one first.
     */
    private CloseOutcome closeTaken(FileDescriptorTask task, int[] numbers) {
        IOException first = null;
        int i = 0;
        while (i < numbers.length) {
            int j = i;
            while (j + 1 < numbers.length && numbers[j + 1] == numbers[j] + 1) {
                j++;
            }
            if (j > i) {
                try {
                    if (CloseRange.close(task.sysif(), numbers[i], numbers[j])) {
                        i = j + 1;
                        continue;
                    }
                    // No close_range: closing one by one below is not a retry.
                } catch (SyscallSendError e) {
                    putBack(task, numbers, i, e);
                    return new CloseOutcome(true, first);
                } catch (SyscallHangup e) {
                    forgetMaybeClosed(task, numbers, i, j, e);
                    putBack(task, numbers, j + 1, e);
                    return new CloseOutcome(true, first);
                } catch (ErrnoException e) {
                    first = merge(first, e.withSubject(numbers[i] + ".." + numbers[j]));
                    i = j + 1;
                    continue;
                } catch (SyscallException e) {
                    first = merge(first, e);
                    i = j + 1;
                    continue;
                }
            }
            for (int k = i; k <= j; k++) {
                try {
                    task.sysif().syscall(Sys.CLOSE, numbers[k]);
                } catch (SyscallSendError e) {
                    putBack(task, numbers, k, e);
                    return new CloseOutcome(true, first);
                } catch (SyscallHangup e) {
                    forgetMaybeClosed(task, numbers, k, k, e);
                    putBack(task, numbers, k + 1, e);
                    return new CloseOutcome(true, first);
                } catch (SyscallException e) {
                    first = merge(first, e);
                }
            }
            i = j + 1;
        }
        return new CloseOutcome(false, first);
    }

    /**
     * Closes one number the caller took responsibility for (after removing its last handle, or
     * ending its last borrow) through {@code task}, as rsyscall's {@code _close_fd}: a send error
     * (the close certainly did not run) puts the number back and asks the reaper to close it
     * through another task; a hangup (it may have run) forgets it; an errno is thrown (the fd is
     * released all the same: close is never retried).
     */
    void closeTakenNumber(FileDescriptorTask task, int number) throws SyscallException {
        InheritedCopies.releaseInCopies(table); // before the close, as in closeUnowned
        try {
            task.sysif().syscall(Sys.CLOSE, number);
            if (LOG.isLoggable(Level.DEBUG)) {
                LOG.log(Level.DEBUG, "{0}: closed fd {1} in {2}", task, number, table);
            }
        } catch (SyscallSendError e) {
            putBack(task, new int[] {number}, 0, e);
            Reaper.requestGc(table);
        } catch (SyscallHangup e) {
            forgetMaybeClosed(task, new int[] {number}, 0, 0, e);
        }
    }

    /**
     * A close of {@code numbers[from..to]} hung up: the task died after the request was sent and
     * read, so the close may have run — and then the numbers are free, perhaps already reused by
     * another task of the table for another file. Closing them again could close that file: they
     * are not retried (close never is), only forgotten. If the close did not run, the fds stay open
     * in the table: a leak, the lesser harm. (rsyscall puts them back for another task; a close
     * that certainly did not run, a {@link SyscallSendError}, still is.)
     */
    private void forgetMaybeClosed(FileDescriptorTask task, int[] numbers, int from, int to, SyscallHangup why) {
        LOG.log(Level.WARNING, "rsyscall4j: {0} died while closing fd {1} of {2} ({3}); the close may have run, so"
                + " it is not retried; if it did not run, the fd stays open", task,
                from == to ? String.valueOf(numbers[from]) : numbers[from] + ".." + numbers[to], table, why.getMessage());
    }

    private void putBack(FileDescriptorTask task, int[] numbers, int from, SyscallException why) {
        table.lock.lock();
        try {
            putBacks++;
            for (int k = from; k < numbers.length; k++) {
                int n = numbers[k];
                if (table.nearToHandles.containsKey(n)) {
                    // The close did happen (the task died after running it) and the kernel has
                    // already reused the number for a file someone registered: not ours to close.
                    LOG.log(Level.DEBUG, "{0}: fd {1} was reopened before its close through {2} was confirmed;"
                            + " not putting it back", table, n, task);
                } else {
                    table.nearToHandles.put(n, new FdEntry());
                    table.unowned.set(n);
                }
            }
            // Try live tasks first next time.
            for (Iterator<WeakReference<FileDescriptorTask>> it = table.tasks.iterator(); it.hasNext(); ) {
                WeakReference<FileDescriptorTask> ref = it.next();
                if (ref.get() == task) {
                    it.remove();
                    table.tasks.add(ref);
                    break;
                }
            }
        } finally {
            table.lock.unlock();
        }
        LOG.log(Level.DEBUG, "{0}: closing {1} fds through {2} failed ({3}); put back for another task",
                table, numbers.length - from, task, why.getMessage());
    }

    private static IOException merge(IOException first, IOException next) {
        if (first == null) {
            return next;
        }
        if (next != null && next != first) {
            first.addSuppressed(next);
        }
        return first;
    }

    private static boolean containsIdentity(List<FileDescriptorTask> list, FileDescriptorTask t) {
        for (FileDescriptorTask x : list) {
            if (x == t) {
                return true;
            }
        }
        return false;
    }

    /** "3..9, 12" for logs: 10,000 numbers in a row should not make a 60 kB log line. */
    static String ranges(int[] sorted) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < sorted.length) {
            int j = i;
            while (j + 1 < sorted.length && sorted[j + 1] == sorted[j] + 1) {
                j++;
            }
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(sorted[i]);
            if (j > i) {
                sb.append("..").append(sorted[j]);
            }
            i = j + 1;
        }
        return sb.toString();
    }
}
