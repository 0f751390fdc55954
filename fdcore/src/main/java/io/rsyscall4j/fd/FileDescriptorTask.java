package io.rsyscall4j.fd;

import static io.rsyscall4j.api.Linux.CLONE_FILES;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallInterface;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.Arrays;
import java.util.Objects;

/**
 * The fd-ownership half of a task (rsyscall's {@code FileDescriptorTask}): a syscall interface
 * and the namespaces its process is in — the fd table, the address space — as far as rsyscall4j
 * believes.
 *
 * <p>Like a write-only segment register, a task's fd table cannot be read back from the kernel;
 * rsyscall4j records it here and updates the record whenever it makes the process change table
 * ({@link #unshareFiles}; exec and exit in child tasks). Since it is in full control of the process,
 * the belief stays accurate.
 *
 * <p>Subclasses ({@code io.rsyscall4j.Task}) add the syscalls; this class holds the lifecycle:
 * making handles ({@link #makeFdHandle}, {@link #inheritFd}), GC ({@link #runFdTableGc}) and moving
 * to a fresh table ({@link #unshareFiles}, and the protected steps child tasks build exec and exit
 * from). Thread-safe.
 *
 * <p>Sealed: {@code io.rsyscall4j.Task} is its one subclass, so its protected steps are fdcore's own
 * and not API; a user gets tasks from {@code Rsyscall.local()} and {@code Task.clone}.
 */
public abstract sealed class FileDescriptorTask permits io.rsyscall4j.Task {
    private static final System.Logger LOG = System.getLogger("io.rsyscall4j.fd");
    /**
     * The highest fd number Linux can ever hand out: fds are below {@code fs.nr_open}, which is at
     * most {@code sysctl_nr_open_max} = {@code INT_MAX & -BITS_PER_LONG}. Only numbers beyond it are
     * refused outright: a number that is merely not open yet may be adopted on purpose (a
     * {@code dup2} target).
     */
    static final int MAX_FD_NUMBER = (Integer.MAX_VALUE & -64) - 1;

    private final SyscallInterface sysif;
    private final int pid;
    private final AddressSpace addressSpace;
    /**
     * The table this task is in, whether it is changing tables, and its live handles: apart from
     * the task, because handle states point at it and must not keep the task alive.
     */
    final TaskMembership membership;

    /**
     * A task running syscalls through {@code sysif}, in {@code fdTable} (which from now on knows
     * it, weakly, as a task it can close garbage through) and {@code addressSpace}.
     *
     * <p>Registering with the table here lets this task's {@code this} escape before a subclass is
     * initialised; the table only ever uses the fields set above (sysif, table, manipulating flag).
     */
    @SuppressWarnings("this-escape")
    protected FileDescriptorTask(SyscallInterface sysif, int pid, FDTable fdTable, AddressSpace addressSpace) {
        this.sysif = Objects.requireNonNull(sysif, "sysif");
        this.pid = pid;
        this.addressSpace = Objects.requireNonNull(addressSpace, "addressSpace");
        this.membership = new TaskMembership(this, Objects.requireNonNull(fdTable, "fdTable"));
        fdTable.addTask(this);
    }

    /**
     * Whether this task's syscalls are made by the JVM itself, on the calling thread, in the JVM's
     * fd table: then a virtual thread about to block in one waits for the fd's readiness in
     * fdcore's poller instead, parked. False here; the local task says true. A child task's
     * calls park in their round trip to the child instead.
     */
    protected boolean runsInJvm() {
        return false;
    }

    /**
     * How this task's syscalls are made: the escape hatch to raw syscalls on near fd numbers.
     *
     * <p>It gives up the guarantees of the handles: an fd made through it is no handle until
     * {@link #makeFdHandle} adopts it, and closing or {@code dup2}-ing over a number a handle owns
     * breaks that handle's exactly-once close. Prefer the task's and the handles' own methods.
     */
    public final SyscallInterface sysif() {
        return sysif;
    }

    /**
     * The task's process id: in the JVM's pid namespace, or, for a task on another host (a
     * {@code RemoteTask} and its children), in that of the remote task's server.
     */
    public final int pid() {
        return pid;
    }

    /** The fd table the task is in now. */
    public final FDTable fdTable() {
        return membership.fdTable;
    }

    /** The address space the task is in (where its syscalls' pointers point). */
    public final AddressSpace addressSpace() {
        return addressSpace;
    }

    /**
     * True while the task is changing fd table (rsyscall's {@code manipulating_fd_table}): no handle
     * can be made for it meanwhile, and GC does not close through it.
     */
    public final boolean isManipulatingFdTable() {
        return membership.manipulating;
    }

    /**
     * Called after {@code replacement} took over {@code consumed}'s number ({@code dup2} onto
     * it), so a task that holds handles of its own (its stdio) keeps holding the number.
     */
    protected void handleReplaced(FileDescriptor consumed, FileDescriptor replacement) {
    }

    /** For subclasses around a syscall that changes the task's fd table (exec, exit). */
    protected final void setManipulatingFdTable(boolean manipulating) {
        membership.manipulating = manipulating;
    }

    /**
     * A handle for {@code number} in this task, joining any handles the table already has for it
     * (rsyscall's {@code _make_fd_handle_from_near}). For subclasses, with numbers the kernel just
     * returned to this task ({@code open}, {@code pipe2}, {@code dup3}, a child's copy).
     *
     * @throws IllegalStateException the task is changing fd table
     */
    protected final FileDescriptor makeFdHandleFromNear(int number) {
        checkNumber(number, "make a handle for");
        FDTable t = FDTable.lockTableOf(this);
        try {
            return t.makeHandleLocked(this, number);
        } finally {
            t.lock.unlock();
        }
    }

    /**
     * Handles for {@code numbers}, which a syscall of this task just created in {@code madeIn}: the
     * table the task was in when that syscall was sent ({@link #fdTable()} read before it). The
     * numbers belong to {@code madeIn}, whatever the task did meanwhile. If it is still there and
     * not changing tables, it gets the handles; if it left (it died, exited or exec'd while the
     * syscall ran, so a concurrent cleanup moved it out) or is changing tables, the numbers are
     * put in {@code madeIn} without a handle and closed at once through a live task of that table
     * (if it has one: a table whose last task died is gone with its fds), and null is returned.
     * All numbers get handles, or none does.
     */
    protected final FileDescriptor[] adoptNewFds(FDTable madeIn, int... numbers) {
        for (int n : numbers) {
            checkNumber(n, "make a handle for");
        }
        FileDescriptor[] handles = new FileDescriptor[numbers.length];
        madeIn.lock.lock();
        try {
            if (membership.fdTable == madeIn && !membership.manipulating) {
                for (int i = 0; i < numbers.length; i++) {
                    handles[i] = madeIn.makeHandleLocked(this, numbers[i]);
                }
                return handles;
            }
            for (int n : numbers) {
                madeIn.addUnownedLocked(n);
            }
        } finally {
            madeIn.lock.unlock();
        }
        LOG.log(Level.DEBUG, "{0}: left {1} while a syscall made fds {2} there; closing them through another task",
                this, madeIn, Arrays.toString(numbers));
        try {
            madeIn.runGc();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "rsyscall4j: closing fds " + Arrays.toString(numbers) + " " + this
                    + " made in " + madeIn + " after leaving it failed", e);
        }
        return null;
    }

    /**
     * Adopts {@code number}, an fd unknown to rsyscall4j (rsyscall's {@code make_fd_handle}), e.g.
     * one this process inherited from its parent. Unsafe in the way any raw fd is: nothing checks
     * that the fd exists or that no other code owns it. An fd inherited from a non-rsyscall parent
     * probably lacks close-on-exec.
     *
     * @throws IllegalArgumentException {@code number} is negative or beyond any fd table
     *     (2147483583), or the table already tracks it
     *     (use {@link FileDescriptor#forTask} to get another handle to a known fd)
     * @throws IllegalStateException the task is changing fd table
     */
    public FileDescriptor makeFdHandle(int number) {
        checkNumber(number, "adopt");
        FDTable t = FDTable.lockTableOf(this);
        try {
            FdEntry e = t.entryLocked(number);
            if (e != null) {
                throw new IllegalArgumentException("can't adopt fd " + number + " in " + this + ": " + t
                        + " already tracks it (" + e.handles.size() + " handles" + (e.handles.isEmpty() ? ", awaiting close" : "")
                        + "); use forTask or inheritFd on an existing handle");
            }
            return t.makeHandleLocked(this, number);
        } finally {
            t.lock.unlock();
        }
    }

    /**
     * A handle in this task to {@code fd}'s copy in this task's table (rsyscall's {@code inherit_fd}).
     *
     * <p>When a task is cloned without {@code CLONE_FILES} its table is a copy of its parent's, so
     * every fd the parent's handles owned at that moment is in the child's table too, at the same
     * number; this claims one. For convenience it also works for a handle already in this task's
     * table (then it is {@code fd.forTask(this)}), so code is the same whether the child shares the
     * table or not.
     *
     * @throws FDTableMismatchException {@code fd} is neither in this task's table nor was it live in
     *     an ancestor table when this table was copied (e.g. it was made after the clone), or this
     *     table has closed (or dup'd over) its copy since
     * @throws InvalidHandleException {@code fd} is in this table but invalid
     */
    public FileDescriptor inheritFd(FileDescriptor fd) {
        Objects.requireNonNull(fd, "fd");
        FDTable t = FDTable.lockTableOf(this);
        try {
            if (fd.task().fdTable() == t) {
                if (!fd.state.valid) {
                    throw new InvalidHandleException("can't inherit fd " + fd.number() + " of " + fd.task() + " into "
                            + this + ": the handle is no longer valid");
                }
                return t.makeHandleLocked(this, fd.number());
            }
            if (t.isInheritedLocked(fd.state)) {
                return t.makeHandleLocked(this, fd.number());
            }
            throw new FDTableMismatchException("can't inherit fd " + fd.number() + " of " + fd.task() + " into " + this
                    + ": " + t + " was not copied from its table while that handle lived (made after the clone,"
                    + " or an unrelated table)");
        } finally {
            t.lock.unlock();
        }
    }

    /**
     * Closes the fds of this task's table that no handle owns any more, now, through this task
     * (rsyscall's {@code run_fd_table_gc}). Every handle the JVM's GC has already found unreachable
     * counts, whether or not the background reaper has got to it; when this returns, their fds are
     * closed (by this call, or by a reaper batch it waited for). With the background reaper off
     * ({@code -Drsyscall4j.reaper=false}) this is the only thing that closes them, so a program
     * can choose when its garbage fds are closed, as in rsyscall.
     */
    public void runFdTableGc() throws IOException {
        runFdTableGc(true);
    }

    /**
     * As {@link #runFdTableGc()}; with {@code useSelf} false the close goes through any live task
     * of the table instead of this one.
     */
    public void runFdTableGc(boolean useSelf) throws IOException {
        // The GC has already cleared every handle it found unreachable; taking this table's out of
        // tracking needs only that, not the reference queue, which the JDK's reference handler
        // fills one handle at a time: following it would make this call as slow as that thread.
        // The reaper drains the queue (what it finds here is already untracked) and serves the
        // other tables; with it off (-Drsyscall4j.reaper=false) there is no queue, and this is
        // the only place collected handles leave tracking.
        FDTable t = membership.fdTable;
        t.lock.lock();
        try {
            HandleRelease.collectClearedLocked(t);
        } finally {
            t.lock.unlock();
        }
        // The reaper may have taken some of this garbage already: wait for its batches too, and
        // go again if one of them hung up and handed fds back.
        for (int round = 0; round < 3; round++) {
            long putBacks = t.putBackCount();
            if (useSelf) {
                t.gcUsingTask(this);
            } else {
                t.runGc();
            }
            if (t.awaitGcBatches() == putBacks) {
                break;
            }
        }
    }

    /**
     * Moves this task to a fresh fd table copied from its current one (rsyscall's
     * {@code _make_fresh_fd_table}), for subclasses around a syscall that gives the process a new
     * table (unshare, exec, exit). The fresh table owns this task's handles at the same numbers and
     * its inherited set is the old table's handles; the old table still holds this task's handles
     * too, until {@link #leaveFdTable}, so nobody closes them there before the kernel has copied them.
     */
    protected final FDTable makeFreshFdTable() {
        return TableSwitch.switchToFresh(this);
    }

    /**
     * The step after the kernel has moved this task to its new table: takes this task's handles
     * out of {@code old} and closes, through another live task of {@code old}, the fds there that
     * only this task owned. Closing errors are logged (the move itself succeeded).
     */
    protected final void leaveFdTable(FDTable old) {
        TableSwitch.leave(old, this);
    }

    /**
     * Gives this task its own copy of its fd table (rsyscall's {@code unshare_files}).
     *
     * <p>Every handle of this task stays valid: Linux copies each fd to the same number in the new
     * table, so the handles now refer to the copies. The copies this task does not own (everything
     * else the old table held) are closed right away, so, unlike after a clone, nothing of the old
     * table can be inherited afterwards. If the unshare fails, the task stays in its old table,
     * handles intact.
     *
     * @throws IllegalStateException the task is already changing fd table
     */
    public void unshareFiles() throws IOException {
        TableSwitch.unshareFiles(this);
    }

    /**
     * Closes every fd of this task's table that no task of it owns or may still claim with
     * {@link #inheritFd}: the copies a clone made of fds nobody here can ever own (the parent's
     * fds that had no handle), as after {@link #unshareFiles}.
     */
    protected final void closeUnclaimable() throws IOException {
        closeUnownedAfterUnshare(fdTable().claimableNumbers());
    }

    /**
     * The kernel half of {@link #unshareFiles}: {@code unshare(CLONE_FILES)} run by this task.
     * Subclasses whose syscalls do not run in their own thread of control override it.
     */
    protected void unshareFilesSyscall() throws IOException {
        sysif.syscall(Sys.UNSHARE, CLONE_FILES);
    }

    /**
     * Closes, in this task's new table, every fd it does not own: the copies of the old table's fds
     * that {@code unshare} brought along. {@code owned} holds the numbers the new table tracks,
     * ascending; the gaps between them are closed with {@code close_range(2)} (Linux 5.9), through
     * this task. A subclass that needs more fds kept (a syscall server's own connection) overrides
     * this and calls it with those numbers added.
     *
     * <p>A gap whose {@code close_range} reports an errno does not stop the others: each gap is
     * closed once, never retried, and the first error is thrown at the end. A hangup or send error
     * (the task is gone, and its table with it) stops at once.
     */
    protected void closeUnownedAfterUnshare(int[] owned) throws IOException {
        CloseRange.closeAllBut(sysif, owned);
    }

    private void checkNumber(int number, String what) {
        if (number < 0) {
            throw new IllegalArgumentException("can't " + what + " fd " + number + " in " + this
                    + ": fd numbers are never negative");
        }
        if (number > MAX_FD_NUMBER) {
            throw new IllegalArgumentException("can't " + what + " fd " + number + " in " + this
                    + ": no Linux fd table goes beyond fd " + MAX_FD_NUMBER + " (the kernel's sysctl_nr_open_max)");
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[pid " + pid + ", " + sysif.provider() + "]";
    }
}
