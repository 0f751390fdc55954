package io.rsyscall4j.fd;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallHangup;
import io.rsyscall4j.api.SyscallSendError;
import io.rsyscall4j.fd.internal.FdInternals;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.WeakHashMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A file descriptor table, compared by identity: the namespace in which an fd number means something.
 *
 * <p>There is no cheap, unique identifier for a kernel fd table (pids do not identify one: a process
 * can unshare its table and leave others behind in the old one), so, as in rsyscall, one Java object
 * stands for one kernel table and tasks say which one they are in. The JVM has exactly one table;
 * each child task made without {@code CLONE_FILES} (and each {@code unshareFiles}) makes another.
 *
 * <p>The table is the source of truth for which fds rsyscall4j owns in it: for each fd number, the
 * set of live handles to it. An fd is closed exactly once, by whoever removes its last handle, or by
 * garbage collection once its handles were all collected. Whoever closes first <em>takes
 * responsibility</em>: removes the number from the table, under the table's lock, before issuing
 * {@code close}. So explicit closes, invalidates and the reaper never close one number twice, and
 * never close a number the kernel has already handed out again — the kernel cannot reuse a number
 * before its close, and once the close is issued nobody here believes they own it.
 *
 * <p>It also remembers the tasks in it (weakly: a table does not keep a task alive), so garbage can
 * be closed through any live one, and, for a table copied from a parent, the parent's handles at the
 * time of the copy ({@link FileDescriptorTask#inheritFd}).
 *
 * <p>Thread-safe: one lock per table guards its maps; syscalls are made outside it.
 */
public final class FDTable {
    private static final System.Logger LOG = System.getLogger("io.rsyscall4j.fd");
    private static final AtomicInteger IDS = new AtomicInteger();

    private final int id = IDS.incrementAndGet();
    private final int creatorPid;
    final ReentrantLock lock = new ReentrantLock();
    /** rsyscall's {@code near_to_handles}. */
    private final Map<Integer, FdEntry> nearToHandles = new HashMap<>();
    /** The numbers whose entries are unowned, so GC finds them without scanning every entry. */
    private final BitSet unowned = new BitSet();
    private final List<WeakReference<FileDescriptorTask>> tasks = new ArrayList<>();
    /** Handles of the parent table (and its ancestors) when this table was copied from it. */
    private Map<HandleState, Boolean> inherited = new WeakHashMap<>();
    /** GC batches being closed right now, by ticket, so {@link #awaitGcBatches} can wait for them. */
    private final TreeSet<Long> batchesInFlight = new TreeSet<>();
    private final Condition batchDone = lock.newCondition();
    private long nextTicket;
    /** Counts put-backs, so a waiter can tell that an in-flight batch handed fds back. */
    private long putBacks;

    static {
        FdInternals.install(new Internals());
    }

    /**
     * A table copied from {@code parent} (by {@code clone} without {@code CLONE_FILES}, or by
     * {@code unshare(CLONE_FILES)}).
     *
     * <p>The copy has every fd of the parent at the same number, but none of them is owned here
     * yet: a task in this table claims one with {@link FileDescriptorTask#inheritFd}. That is allowed
     * for the parent's live handles as of now, and transitively for what the parent itself had
     * inherited. Make the table <em>before</em> the syscall that copies the kernel table, so no
     * handle made after the copy (whose fd the copy lacks) can be inherited. A null {@code parent}
     * makes a table no fd of which rsyscall4j owns yet, e.g. the JVM's own.
     *
     * <p>Made by fdcore only ({@code FdInternals.newFdTable}).
     */
    FDTable(int creatorPid, FDTable parent) {
        this.creatorPid = creatorPid;
        if (parent != null) {
            parent.lock.lock();
            try {
                for (FdEntry e : parent.nearToHandles.values()) {
                    for (HandleState s : e.handles) {
                        inherited.put(s, Boolean.TRUE);
                    }
                }
                inherited.putAll(parent.inherited);
            } finally {
                parent.lock.unlock();
            }
        }
    }

    /** The pid of the task this table was made for (for debugging: pids do not identify tables). */
    public int creatorPid() {
        return creatorPid;
    }

    /** Forgets which handles this table inherited, so none of them can be inherited any more. */
    void removeInherited() {
        lock.lock();
        try {
            inherited = new WeakHashMap<>();
        } finally {
            lock.unlock();
        }
    }

    /** Whether {@code number} is tracked here: it has handles, is borrowed, or awaits its close. */
    public boolean isTracked(int number) {
        lock.lock();
        try {
            return nearToHandles.containsKey(number);
        } finally {
            lock.unlock();
        }
    }

    /** How many live handles {@code number} has here (0 if untracked, or unowned awaiting GC). */
    public int handleCount(int number) {
        lock.lock();
        try {
            FdEntry e = nearToHandles.get(number);
            return e == null ? 0 : e.handles.size();
        } finally {
            lock.unlock();
        }
    }

    /** The tracked numbers, in ascending order. A snapshot, for diagnostics and tests. */
    public int[] trackedNumbers() {
        lock.lock();
        try {
            return nearToHandles.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Closes every fd of this table that no handle owns any more, through some live task of the
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
     * Closes every fd of this table that no handle owns, through {@code task} (rsyscall's
     * {@code gc_using_task}). A close that cannot be sent puts its fds back for another task.
     *
     * @throws FDTableMismatchException {@code task} is not in this table
     * @throws IOException the first errno a {@code close} returned
     */
    void gcUsingTask(FileDescriptorTask task) throws IOException {
        if (task.fdTable() != this) {
            throw new FDTableMismatchException("can't GC " + this + " through " + task
                    + ": that task is in " + task.fdTable());
        }
        CloseOutcome outcome = closeUnowned(task);
        if (outcome.error != null) {
            throw outcome.error;
        }
    }

    @Override
    public String toString() {
        return "FDTable#" + id + "(creator pid " + creatorPid + ")";
    }

    // ---- package-private machinery; every *Locked method needs lock held ----

    /** Locks and returns {@code task}'s current table, so it cannot switch tables meanwhile. */
    static FDTable lockTableOf(FileDescriptorTask task) {
        return lockTableOf(task.membership);
    }

    /** As {@link #lockTableOf(FileDescriptorTask)}, for a task that may have been collected. */
    static FDTable lockTableOf(TaskMembership member) {
        for (;;) {
            FDTable t = member.fdTable;
            t.lock.lock();
            if (member.fdTable == t) {
                return t;
            }
            t.lock.unlock();
        }
    }

    void addTask(FileDescriptorTask task) {
        lock.lock();
        try {
            tasks.add(new WeakReference<>(task));
        } finally {
            lock.unlock();
        }
    }

    FdEntry entryLocked(int number) {
        return nearToHandles.get(number);
    }

    boolean isInheritedLocked(HandleState state) {
        return inherited.containsKey(state);
    }

    /**
     * This table's copy at {@code number} is about to be closed or replaced (dup onto it): the
     * ancestor handles it was a copy of can no longer be inherited, or inheriting one would hand
     * out a number that is closed, or that the kernel has given to another file since.
     */
    void forgetInheritedLocked(int number) {
        if (!inherited.isEmpty()) {
            inherited.keySet().removeIf(s -> s.number == number);
        }
    }

    /** rsyscall's {@code _make_fd_handle_from_near}: a new handle for {@code number} in {@code task}. */
    FileDescriptor makeHandleLocked(FileDescriptorTask task, int number) {
        if (task.fdTable() != this) {
            throw new FDTableMismatchException("can't make a handle for fd " + number + " of " + this + " in "
                    + task + ": that task is in " + task.fdTable());
        }
        if (task.isManipulatingFdTable()) {
            throw new IllegalStateException("can't make a handle for fd " + number + " in " + task
                    + ": the task is manipulating its fd table (unshare, exec or exit in progress)");
        }
        FileDescriptor handle = new FileDescriptor(task, number);
        FdEntry e = nearToHandles.get(number);
        if (e == null) {
            e = new FdEntry();
            nearToHandles.put(number, e);
        }
        e.handles.add(handle.state);
        unowned.clear(number);
        task.membership.fdHandles.add(handle.state);
        if (LOG.isLoggable(Level.DEBUG)) {
            LOG.log(Level.DEBUG, "{0}: made handle for fd {1} in {2} ({3} handles)", task, number, this,
                    e.handles.size());
        }
        return handle;
    }

    /** What removing one handle from tracking left to do. */
    enum Removal {
        /** The handle was already invalid: nothing happened. */
        WAS_INVALID,
        /** Other handles still own the fd. */
        OTHERS_REMAIN,
        /** It was the last handle and the caller took responsibility: the caller must close the fd now. */
        CLOSE_NOW,
        /** It was the last handle; the fd is closed later (by the last borrow's end, or by GC). */
        CLOSE_LATER
    }

    /**
     * Takes {@code s} out of tracking (rsyscall's {@code _invalidate}). With {@code takeResponsibility}
     * the caller closes the fd if this was its last handle; without (for a collected handle) the fd
     * is left unowned for GC, which batches closes.
     */
    Removal removeLocked(HandleState s, boolean takeResponsibility) {
        if (!s.valid) {
            return Removal.WAS_INVALID;
        }
        s.valid = false;
        s.ref.clear();
        s.member.fdHandles.remove(s);
        FdEntry e = nearToHandles.get(s.number);
        if (e == null || !e.handles.remove(s)) {
            throw new IllegalStateException("internal error: " + s + " is valid but not tracked by " + this);
        }
        if (!e.handles.isEmpty()) {
            return Removal.OTHERS_REMAIN;
        }
        if (e.borrows > 0) {
            return Removal.CLOSE_LATER;
        }
        if (!takeResponsibility || s.member.manipulating) {
            // A task that is changing fd table must not close anything: the number may belong to
            // the table it is leaving. GC closes it once the change is done.
            unowned.set(s.number);
            return Removal.CLOSE_LATER;
        }
        nearToHandles.remove(s.number);
        forgetInheritedLocked(s.number);
        return Removal.CLOSE_NOW;
    }

    /** What the end of a borrow left to do. */
    enum BorrowEnd {
        /** The fd still has handles or other borrows. */
        NOTHING,
        /** It was the last use of an fd without handles; the caller took responsibility to close it. */
        CLOSE_NOW,
        /** As CLOSE_NOW, but the borrowing task cannot close in this table now: left for GC. */
        LEFT_FOR_GC
    }

    BorrowEnd endBorrowLocked(int number, FileDescriptorTask task) {
        FdEntry e = nearToHandles.get(number);
        if (e == null || e.borrows <= 0) {
            throw new IllegalStateException("internal error: borrow of fd " + number + " not recorded in " + this);
        }
        e.borrows--;
        if (e.borrows > 0 || !e.handles.isEmpty()) {
            return BorrowEnd.NOTHING;
        }
        if (task.fdTable() != this || task.isManipulatingFdTable()) {
            unowned.set(number);
            return BorrowEnd.LEFT_FOR_GC;
        }
        nearToHandles.remove(number);
        forgetInheritedLocked(number);
        return BorrowEnd.CLOSE_NOW;
    }

    /** Ends {@code task}'s borrow of {@code number} and does what that leaves to do ({@link #afterBorrowEnd}). */
    void endBorrow(FileDescriptorTask task, int number) throws SyscallException {
        BorrowEnd end;
        lock.lock();
        try {
            end = endBorrowLocked(number, task);
        } finally {
            lock.unlock();
        }
        afterBorrowEnd(end, task, number);
    }

    /** Does what the end of a borrow left to do: closes the number through {@code task}, or asks for a GC. */
    void afterBorrowEnd(BorrowEnd end, FileDescriptorTask task, int number) throws SyscallException {
        if (end == BorrowEnd.CLOSE_NOW) {
            LOG.log(Level.DEBUG, "{0}: borrow of fd {1} ended after its last handle went; closing", task, number);
            closeTakenNumber(task, number);
        } else if (end == BorrowEnd.LEFT_FOR_GC) {
            Reaper.requestGc(this);
        }
    }

    /**
     * Records {@code number}, which the kernel just handed out in this table, as open and unowned,
     * for GC to close. A number the table still tracks is left alone: the kernel cannot have handed
     * it out while it was open, so that entry is some other owner's to settle.
     */
    void addUnownedLocked(int number) {
        if (!nearToHandles.containsKey(number)) {
            nearToHandles.put(number, new FdEntry());
            unowned.set(number);
        }
    }

    /** Marks {@code number} unowned if nothing owns or borrows it; true if it is now. */
    boolean markUnownedIfEmptyLocked(int number) {
        FdEntry e = nearToHandles.get(number);
        if (e != null && e.isUnowned()) {
            unowned.set(number);
            return true;
        }
        return false;
    }

    /**
     * Moves {@code task} into a fresh table copied from this one (rsyscall's
     * {@code _make_fresh_fd_table}): the fresh table owns exactly {@code task}'s handles, at the
     * same numbers; this table keeps them too until {@link #dropTaskStates} (the kernel copy has
     * not happened yet, and until it has, this table must not close them).
     */
    static FDTable switchToFresh(FileDescriptorTask task) {
        FDTable old = lockTableOf(task);
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
     * Takes every handle of {@code task} (which has left this table) out of this table; numbers
     * left without handles become unowned, for {@link #runGc}. Returns how many became unowned.
     */
    int dropTaskStates(FileDescriptorTask task) {
        lock.lock();
        try {
            int freed = 0;
            for (Map.Entry<Integer, FdEntry> me : nearToHandles.entrySet()) {
                FdEntry e = me.getValue();
                if (e.handles.removeIf(s -> s.member == task.membership) && e.isUnowned()) {
                    unowned.set(me.getKey());
                    freed++;
                }
            }
            return freed;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Undoes {@link #switchToFresh} after the kernel refused to copy the table: {@code task} is back
     * in this table; handles it lost meanwhile (invalidated or collected while in {@code fresh}) are
     * taken out of this table too.
     */
    void revertSwitch(FileDescriptorTask task, FDTable fresh) {
        lock.lock();
        try {
            fresh.lock.lock();
            try {
                task.membership.fdTable = this;
            } finally {
                fresh.lock.unlock();
            }
            for (Map.Entry<Integer, FdEntry> me : nearToHandles.entrySet()) {
                FdEntry e = me.getValue();
                if (e.handles.removeIf(s -> s.member == task.membership && !s.valid) && e.isUnowned()) {
                    unowned.set(me.getKey());
                }
            }
        } finally {
            lock.unlock();
        }
    }

    // ---- closing ----

    /** The outcome of closing a batch of numbers through one task. */
    private record CloseOutcome(boolean hungUp, IOException error) {
        static final CloseOutcome NOTHING = new CloseOutcome(false, null);
    }

    /**
     * The first live task of this table that is not changing tables (rsyscall's
     * {@code _get_task_in_table}), skipping {@code exclude}; forgets collected tasks.
     */
    FileDescriptorTask taskInTable(List<FileDescriptorTask> exclude) {
        lock.lock();
        try {
            for (Iterator<WeakReference<FileDescriptorTask>> it = tasks.iterator(); it.hasNext(); ) {
                FileDescriptorTask t = it.next().get();
                if (t == null) {
                    it.remove();
                } else if (t.fdTable() == this && !t.isManipulatingFdTable() && !containsIdentity(exclude, t)) {
                    return t;
                }
            }
            return null;
        } finally {
            lock.unlock();
        }
    }


    /** Takes responsibility for every unowned fd, then closes them through {@code task}. */
    private CloseOutcome closeUnowned(FileDescriptorTask task) {
        int[] taken;
        long ticket;
        lock.lock();
        try {
            if (unowned.isEmpty()) {
                return CloseOutcome.NOTHING;
            }
            taken = new int[unowned.cardinality()];
            int count = 0;
            for (int n = unowned.nextSetBit(0); n >= 0; n = unowned.nextSetBit(n + 1)) {
                // One map operation per number: an unowned mark whose entry has been claimed
                // again since (a new handle at that number) is rare, and put back.
                FdEntry e = nearToHandles.remove(n);
                if (e == null) {
                    continue;
                }
                if (!e.isUnowned()) {
                    nearToHandles.put(n, e);
                    continue;
                }
                forgetInheritedLocked(n);
                taken[count++] = n;
            }
            unowned.clear();
            if (count == 0) {
                return CloseOutcome.NOTHING;
            }
            if (count < taken.length) {
                taken = java.util.Arrays.copyOf(taken, count);
            }
            ticket = ++nextTicket;
            batchesInFlight.add(ticket);
        } finally {
            lock.unlock();
        }
        if (LOG.isLoggable(Level.DEBUG)) {
            LOG.log(Level.DEBUG, "gc for {0}: closing {1} fds {2} through {3}", this, taken.length,
                    ranges(taken), task);
        }
        try {
            return closeTaken(task, taken);
        } finally {
            lock.lock();
            try {
                batchesInFlight.remove(ticket);
                batchDone.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Waits until every GC batch that was being closed when this was called has finished, so that
     * a {@code runFdTableGc} that found its garbage already taken by the reaper still returns only
     * once that garbage is closed. Returns the put-back count seen at the end.
     */
    long awaitGcBatches() {
        lock.lock();
        try {
            long upTo = nextTicket;
            while (!batchesInFlight.isEmpty() && batchesInFlight.first() <= upTo) {
                batchDone.awaitUninterruptibly();
            }
            return putBacks;
        } finally {
            lock.unlock();
        }
    }

    long putBackCount() {
        lock.lock();
        try {
            return putBacks;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes out of tracking every handle of this table the JVM's GC has already cleared, whether or
     * not the reference handler has queued it for the reaper yet; returns how many.
     *
     * <p>One pass over the entries, each collected handle taken out where it is found (as
     * {@link #removeLocked} without responsibility would, less the lookups): after a collection
     * this runs over thousands of handles, and each lookup saved is one per handle.
     */
    int collectClearedLocked() {
        boolean debug = LOG.isLoggable(Level.DEBUG);
        int count = 0;
        for (Map.Entry<Integer, FdEntry> me : nearToHandles.entrySet()) {
            FdEntry e = me.getValue();
            ArrayList<HandleState> handles = e.handles;
            boolean removed = false;
            for (int i = handles.size() - 1; i >= 0; i--) {
                HandleState s = handles.get(i);
                if (s.member.fdTable == this && s.ref.refersTo(null)) {
                    // Tracked handles are valid; the GC has cleared the reference already.
                    handles.remove(i);
                    s.valid = false;
                    s.member.fdHandles.remove(s);
                    removed = true;
                    count++;
                    if (debug) {
                        logCollected(s, handles.isEmpty() ? Removal.CLOSE_LATER : Removal.OTHERS_REMAIN);
                    }
                }
            }
            if (removed && e.isUnowned()) {
                unowned.set(me.getKey());
            }
        }
        return count;
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
        try {
            task.sysif().syscall(Sys.CLOSE, number);
            if (LOG.isLoggable(Level.DEBUG)) {
                LOG.log(Level.DEBUG, "{0}: closed fd {1} in {2}", task, number, this);
            }
        } catch (SyscallSendError e) {
            putBack(task, new int[] {number}, 0, e);
            Reaper.requestGc(this);
        } catch (SyscallHangup e) {
            forgetMaybeClosed(task, new int[] {number}, 0, 0, e);
        }
    }

    /**
     * A close of {@code numbers[from..to]} hung up: the task died after the request was sent and
     * read, so the close may have run — and then the numbers are free, perhaps already reused by
     * another task of this table for another file. Closing them again could close that file: they
     * are not retried (close never is), only forgotten. If the close did not run, the fds stay open
     * in this table: a leak, the lesser harm. (rsyscall puts them back for another task; a close
     * that certainly did not run, a {@link SyscallSendError}, still is.)
     */
    private void forgetMaybeClosed(FileDescriptorTask task, int[] numbers, int from, int to, SyscallHangup why) {
        LOG.log(Level.WARNING, "rsyscall4j: {0} died while closing fd {1} of {2} ({3}); the close may have run, so"
                + " it is not retried; if it did not run, the fd stays open", task,
                from == to ? String.valueOf(numbers[from]) : numbers[from] + ".." + numbers[to], this, why.getMessage());
    }

    private void putBack(FileDescriptorTask task, int[] numbers, int from, SyscallException why) {
        lock.lock();
        try {
            putBacks++;
            for (int k = from; k < numbers.length; k++) {
                int n = numbers[k];
                if (nearToHandles.containsKey(n)) {
                    // The close did happen (the task died after running it) and the kernel has
                    // already reused the number for a file someone registered: not ours to close.
                    LOG.log(Level.DEBUG, "{0}: fd {1} was reopened before its close through {2} was confirmed;"
                            + " not putting it back", this, n, task);
                } else {
                    nearToHandles.put(n, new FdEntry());
                    unowned.set(n);
                }
            }
            // Try live tasks first next time.
            for (Iterator<WeakReference<FileDescriptorTask>> it = tasks.iterator(); it.hasNext(); ) {
                WeakReference<FileDescriptorTask> ref = it.next();
                if (ref.get() == task) {
                    it.remove();
                    tasks.add(ref);
                    break;
                }
            }
        } finally {
            lock.unlock();
        }
        LOG.log(Level.DEBUG, "{0}: closing {1} fds through {2} failed ({3}); put back for another task",
                this, numbers.length - from, task, why.getMessage());
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

    static void logCollected(HandleState s, Removal removal) {
        if (removal != Removal.WAS_INVALID && LOG.isLoggable(Level.DEBUG)) {
            LOG.log(Level.DEBUG, "gc: handle for fd {0} of {1} was garbage-collected ({2})", s.number, s.member,
                    removal == Removal.CLOSE_LATER ? "no handles left" : "other handles remain");
        }
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
