package io.rsyscall4j.fd;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.ref.WeakReference;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The copies a clone put in one {@link FDTable}, and the tables copied from it: which ancestor
 * handles this table's copies were made from (a task here claims one with
 * {@link FileDescriptorTask#inheritFd}), and, once the last handle of a copied fd is gone, the
 * copies no handle claimed in the tables below, which then become garbage there. Guarded by the
 * owning table's lock, but for {@link #releaseInCopies}.
 */
final class InheritedCopies {
    private static final System.Logger LOG = System.getLogger("io.rsyscall4j.fd");

    /** The ancestor handles this table's copies were made from, by fd number. */
    private final Map<Integer, List<HandleState>> byNumber = new HashMap<>();
    /** The tables copied from this one (weakly: a table keeps no other alive). */
    private final List<WeakReference<FDTable>> copies = new ArrayList<>();
    /** This table's numbers whose last handle went since a copy was made while they had one. */
    private final BitSet released = new BitSet();
    /**
     * The kernel may not have copied the table yet (the clone or unshare is still to come, or its
     * task not yet made): a copy released meanwhile is only forgotten, and the fd, still open in
     * the parent when the release runs (it runs before the close), may be copied unclaimable: the
     * clone's sweep or the exec closes it.
     */
    private boolean copyPending;

    /**
     * Records that {@code copy} was copied from {@code table} now: every live handle there can be
     * claimed in it; with {@code closedWithParent}, its unclaimed copies go with their last handle.
     */
    static void copyLocked(FDTable table, FDTable copy, boolean closedWithParent) {
        InheritedCopies into = copy.inherited;
        for (Map.Entry<Integer, FdEntry> me : table.nearToHandles.entrySet()) {
            FdEntry e = me.getValue();
            if (!e.handles.isEmpty()) {
                e.copied = true;
                into.byNumber.computeIfAbsent(me.getKey(), n -> new ArrayList<>(1)).addAll(e.handles);
            }
        }
        table.inherited.byNumber.forEach((n, states) ->
                into.byNumber.computeIfAbsent(n, k -> new ArrayList<>(1)).addAll(states));
        if (closedWithParent) {
            table.inherited.copies.add(new WeakReference<>(copy));
        }
        into.copyPending = true;
    }

    /** The kernel has made the copy: from now on a released copy is closed there. */
    void copyMadeLocked() {
        copyPending = false;
    }

    boolean containsLocked(HandleState s) {
        List<HandleState> states = byNumber.get(s.number);
        if (states != null) {
            for (HandleState h : states) {
                if (h == s) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The numbers of the copies a task here may still claim, ascending. */
    int[] numbersLocked() {
        return byNumber.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    void forgetLocked(int number) {
        byNumber.remove(number);
    }

    void forgetAllLocked() {
        byNumber.clear();
    }

    /** The table's entry for {@code number} is leaving tracking: if it was copied, its copies are to go too. */
    void takenLocked(int number, FdEntry e) {
        if (e.copied) {
            released.set(number);
        }
    }

    /**
     * Closes, in every table copied (transitively) from {@code table}, the copies of the fds whose
     * last handle went there since the last call, unless a handle claimed the copy or an ancestor
     * handle it was copied from is still valid: each such table's GC closes them, through one of
     * its live tasks, before this returns. Called without any table's lock held; locks one table
     * at a time.
     */
    static void releaseInCopies(FDTable table) {
        int[] numbers;
        table.lock.lock();
        try {
            InheritedCopies c = table.inherited;
            if (c.released.isEmpty()) {
                return;
            }
            numbers = c.released.stream().toArray();
            c.released.clear();
        } finally {
            table.lock.unlock();
        }
        for (FDTable copy : descendants(table)) {
            boolean garbage = false;
            copy.lock.lock();
            try {
                for (int n : numbers) {
                    garbage |= copy.inherited.releaseLocked(copy, n);
                }
            } finally {
                copy.lock.unlock();
            }
            if (garbage) {
                try {
                    copy.runGc();
                } catch (IOException e) {
                    LOG.log(Level.DEBUG, "closing the copies in {0} of fds {1} closed in {2}: {3}", copy,
                            Arrays.toString(numbers), table, e);
                }
            }
        }
    }

    /** Makes {@code copy}'s {@code number} garbage if nothing may claim it any more; true if it did. */
    private boolean releaseLocked(FDTable copy, int number) {
        List<HandleState> states = byNumber.get(number);
        if (states == null || copy.nearToHandles.containsKey(number)) {
            return false;
        }
        for (HandleState s : states) {
            if (s.valid) {
                return false;
            }
        }
        byNumber.remove(number);
        if (copyPending) {
            return false; // closed before the kernel copied it, perhaps: whatever is there, nobody may claim
        }
        copy.addUnownedLocked(number);
        return true;
    }

    /**
     * The tables copied, transitively, from {@code table} that a task is still in. A table every
     * task has left (exec, exit, unshare) is dropped from its parent's list on the way, its own
     * copies taken over by the parent, so the walk stays as short as the live tables.
     */
    private static List<FDTable> descendants(FDTable table) {
        List<FDTable> out = new ArrayList<>();
        ArrayDeque<FDTable> todo = new ArrayDeque<>();
        todo.add(table);
        while (!todo.isEmpty()) {
            FDTable t = todo.poll();
            t.lock.lock();
            try {
                List<WeakReference<FDTable>> copies = t.inherited.copies;
                for (int i = 0; i < copies.size(); i++) {
                    FDTable c = copies.get(i).get();
                    if (c == null) {
                        copies.remove(i--);
                    } else if (c.inherited.allTasksLeft(c)) {
                        copies.remove(i--);
                        copies.addAll(c.inherited.copies); // parent before child: the tables' lock order
                    } else {
                        out.add(c);
                        todo.add(c);
                    }
                }
            } finally {
                t.lock.unlock();
            }
        }
        return out;
    }

    /** Whether every task has left {@code table} for good (never while its copy is pending); takes its lock. */
    private boolean allTasksLeft(FDTable table) {
        table.lock.lock();
        try {
            if (copyPending) {
                return false;
            }
            for (Iterator<WeakReference<FileDescriptorTask>> it = table.tasks.iterator(); it.hasNext(); ) {
                FileDescriptorTask task = it.next().get();
                if (task == null) {
                    it.remove();
                } else if (task.fdTable() == table) {
                    return false;
                }
            }
            return true;
        } finally {
            table.lock.unlock();
        }
    }
}
