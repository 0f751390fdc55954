package io.rsyscall4j.fd;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.ref.WeakReference;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Moves a task from its {@link FDTable} to a fresh copy of it, around the syscall that gives the
 * process a new kernel table ({@code unshare(CLONE_FILES)}, exec, exit): rsyscall's
 * {@code _make_fresh_fd_table}, then leaving the old table, or going back to it if the kernel
 * refused.
 */
final class TableSwitch {
    private static final System.Logger LOG = System.getLogger("io.rsyscall4j.fd");

    private TableSwitch() {}

    /**
     * Moves {@code task} into a fresh table copied from its current one: the fresh table owns
     * exactly {@code task}'s handles, at the same numbers; the old table keeps them too until
     * {@link #dropTaskStates} (the kernel copy has not happened yet, and until it has, the old table
     * must not close them).
     */
    static FDTable switchToFresh(FileDescriptorTask task) {
        FDTable old = FDTable.lockTableOf(task);
        try {
            FDTable fresh = new FDTable(task.pid(), old);
            for (HandleState s : task.membership.fdHandles) {
                fresh.nearToHandles.computeIfAbsent(s.number, n -> new FdEntry()).handles.add(s);
            }
            fresh.tasks.add(new WeakReference<>(task));
            task.membership.fdTable = fresh;
            LOG.log(Level.DEBUG, "{0}: moved {1} handles from {2} to fresh {3}", task, task.membership.fdHandles.size(),
                    old, fresh);
            return fresh;
        } finally {
            old.lock.unlock();
        }
    }

    /**
     * {@link FileDescriptorTask#unshareFiles}: GCs the old table (fewer garbage fds to copy), marks
     * {@code task} as manipulating (no new handles meanwhile), switches it to a fresh table holding
     * its handles, has it {@code unshare(CLONE_FILES)}, closes the copies it does not own
     * ({@link FileDescriptorTask#closeUnownedAfterUnshare}) instead of leaving them open until
     * exec, then leaves the old table and GCs both. If the unshare fails, the switch is reverted.
     */
    static void unshareFiles(FileDescriptorTask task) throws IOException {
        TaskMembership membership = task.membership;
        if (membership.manipulating) {
            throw new IllegalStateException("can't unshareFiles() " + task + ": it is already manipulating its fd table");
        }
        FDTable old = membership.fdTable;
        // GC now so fewer garbage fds get copied into the new table.
        old.gcUsingTask(task);
        membership.manipulating = true;
        FDTable fresh;
        try {
            fresh = switchToFresh(task);
        } catch (RuntimeException | Error e) {
            membership.manipulating = false;
            throw e;
        }
        boolean unshared = false;
        try {
            task.unshareFilesSyscall();
            unshared = true;
        } finally {
            if (!unshared) {
                revertSwitch(old, task, fresh);
                membership.manipulating = false;
            }
        }
        IOException closeError = null;
        try {
            task.closeUnownedAfterUnshare(fresh.trackedNumbers());
        } catch (IOException e) {
            closeError = e;
        } finally {
            // The copies nobody here owned are closed (or, after an error, may be): none of them
            // can be inherited any more, or inheritFd would hand out a closed (or reused) number.
            fresh.removeInherited();
            membership.manipulating = false;
        }
        LOG.log(Level.DEBUG, "{0}: unshared its fd table: {1} -> {2}", task, old, fresh);
        // Only now may the old table forget our handles: before the copy, GC there would have
        // closed fds we still needed.
        leave(old, task);
        fresh.gcUsingTask(task);
        if (closeError != null) {
            throw closeError;
        }
    }

    /**
     * {@link FileDescriptorTask#leaveFdTable}: takes {@code task}'s handles out of {@code old} and
     * closes, through another live task of {@code old}, the fds there that only it owned. Closing
     * errors are logged (the move itself succeeded).
     */
    static void leave(FDTable old, FileDescriptorTask task) {
        int freed = dropTaskStates(old, task);
        LOG.log(Level.DEBUG, "{0}: left {1}; {2} fds there had no other handles", task, old, freed);
        try {
            old.runGc();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "rsyscall4j: closing fds " + task + " left behind in " + old + " failed", e);
        }
    }

    /**
     * Takes every handle of {@code task} (which has left {@code old}) out of {@code old}; numbers
     * left without handles become unowned, for GC. Returns how many became unowned.
     */
    private static int dropTaskStates(FDTable old, FileDescriptorTask task) {
        old.lock.lock();
        try {
            return dropStatesLocked(old, s -> s.member == task.membership);
        } finally {
            old.lock.unlock();
        }
    }

    /**
     * Undoes {@link #switchToFresh} after the kernel refused to copy the table: {@code task} is back
     * in {@code old}; handles it lost meanwhile (invalidated or collected while in {@code fresh}) are
     * taken out of {@code old} too.
     */
    private static void revertSwitch(FDTable old, FileDescriptorTask task, FDTable fresh) {
        old.lock.lock();
        try {
            fresh.lock.lock();
            try {
                task.membership.fdTable = old;
            } finally {
                fresh.lock.unlock();
            }
            dropStatesLocked(old, s -> s.member == task.membership && !s.valid);
        } finally {
            old.lock.unlock();
        }
    }

    /** Takes the states {@code which} selects out of {@code table}; returns how many numbers became unowned. */
    private static int dropStatesLocked(FDTable table, Predicate<HandleState> which) {
        int freed = 0;
        for (Map.Entry<Integer, FdEntry> me : table.nearToHandles.entrySet()) {
            FdEntry e = me.getValue();
            if (e.handles.removeIf(which) && e.isUnowned()) {
                table.unowned.set(me.getKey());
                freed++;
            }
        }
        return freed;
    }
}
