package io.rsyscall4j.fd;

import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.fd.internal.FdInternals;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * <p>Thread-safe: one lock per table guards its maps; syscalls are made outside it. This class
 * tracks; letting go of a number is {@code HandleRelease}'s job, closing what nobody owns
 * {@code FdCloser}'s, moving a task to a fresh table {@code TableSwitch}'s.
 */
public final class FDTable {
    private static final System.Logger LOG = System.getLogger("io.rsyscall4j.fd");
    private static final AtomicInteger IDS = new AtomicInteger();

    private final int id = IDS.incrementAndGet();
    private final int creatorPid;
    final ReentrantLock lock = new ReentrantLock();
    /** rsyscall's {@code near_to_handles}. */
    final Map<Integer, FdEntry> nearToHandles = new HashMap<>();
    /** The numbers whose entries are unowned, so GC finds them without scanning every entry. */
    final BitSet unowned = new BitSet();
    final List<WeakReference<FileDescriptorTask>> tasks = new ArrayList<>();
    /** Handles of the parent table (and its ancestors) when this table was copied from it, and its copies. */
    final InheritedCopies inherited = new InheritedCopies();
    private final FdCloser closer = new FdCloser(this);

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
        this(creatorPid, parent, true);
    }

    /**
     * As {@link #FDTable(int, FDTable)}; without {@code closedWithParent}, a copy whose last
     * parent handle goes is not closed here (for a task that execs at once, and exec closes it).
     */
    FDTable(int creatorPid, FDTable parent, boolean closedWithParent) {
        this.creatorPid = creatorPid;
        if (parent != null) {
            parent.lock.lock();
            try {
                InheritedCopies.copyLocked(parent, this, closedWithParent);
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
            inherited.forgetAllLocked();
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

    /**
     * The kernel has copied this table from its parent's (the clone or unshare is done): until
     * then a copy whose last handle went is only forgotten, since the kernel may not have copied it.
     */
    void kernelCopyMade() {
        lock.lock();
        try {
            inherited.copyMadeLocked();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The numbers a task of this table owns or may still claim, ascending: the tracked ones and
     * the copies of ancestor handles ({@link FileDescriptorTask#inheritFd}). Every other fd of the
     * table is one nobody here can ever own.
     */
    int[] claimableNumbers() {
        lock.lock();
        try {
            java.util.TreeSet<Integer> all = new java.util.TreeSet<>(nearToHandles.keySet());
            for (int n : inherited.numbersLocked()) {
                all.add(n);
            }
            return all.stream().mapToInt(Integer::intValue).toArray();
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
     * table (rsyscall's {@code run_gc}); see {@link FdCloser#runGc}.
     *
     * @throws IOException the first errno a {@code close} returned
     */
    void runGc() throws IOException {
        closer.runGc();
    }

    /**
     * Closes every fd of this table that no handle owns, through {@code task} (rsyscall's
     * {@code gc_using_task}); see {@link FdCloser#gcUsingTask}.
     *
     * @throws IOException the first errno a {@code close} returned
     */
    void gcUsingTask(FileDescriptorTask task) throws IOException {
        closer.gcUsingTask(task);
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
        return inherited.containsLocked(state);
    }

    /**
     * This table's copy at {@code number} is about to be closed or replaced (dup onto it): the
     * ancestor handles it was a copy of can no longer be inherited, or inheriting one would hand
     * out a number that is closed, or that the kernel has given to another file since.
     */
    void forgetInheritedLocked(int number) {
        inherited.forgetLocked(number);
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

    /** Closes one number the caller took responsibility for; see {@link FdCloser#closeTakenNumber}. */
    void closeTakenNumber(FileDescriptorTask task, int number) throws SyscallException {
        closer.closeTakenNumber(task, number);
    }

    /** Waits for the GC batches in flight; see {@link FdCloser#awaitGcBatches}. */
    long awaitGcBatches() {
        return closer.awaitGcBatches();
    }

    long putBackCount() {
        return closer.putBackCount();
    }
}
