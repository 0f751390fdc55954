package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.SIGKILL;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallHangup;
import io.rsyscall4j.api.SyscallSendError;
import io.rsyscall4j.fd.FDTable;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.internal.FdInternals;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A process the JVM made with {@link Task#clone}, whose syscalls the JVM runs: it executes nothing
 * but a tiny syscall server, so everything it does is a syscall some Java code asked for.
 *
 * <p>That is what makes it useful: set up its fds exactly ({@link #inheritFd},
 * {@link FileDescriptor#dup2}, {@link #unshareFiles}), then {@link #exec} a program that gets
 * exactly those fds, or use it as a second process to hold fds in, or to run syscalls that would
 * disturb the JVM (such as {@code unshare}). Children can clone children.
 *
 * <p>The child shares the JVM's memory ({@code CLONE_VM}), has every signal blocked (a signal
 * meant for it must not run a JVM signal handler), and dies when its parent does
 * ({@code PR_SET_PDEATHSIG}; the JVM clones its own children on one thread that lives as long as
 * the JVM). If it dies another way, its pending and later syscalls raise
 * {@link io.rsyscall4j.api.SyscallHangup} or {@link io.rsyscall4j.api.SyscallSendError}, and it is
 * reaped in the background.
 *
 * <p>A child task that becomes unreachable is killed and reaped, and the fds only its handles
 * owned in a table shared with others ({@link CloneFlag#FILES}) are closed through another task of
 * that table. Its handles keep it reachable: each {@link FileDescriptor} holds its task (the task
 * is what closes the fd and runs its I/O), so a child whose handle the program still holds keeps
 * running and serving; so does a child it made (its process would die with this one's) or a
 * program such a child exec'd. The fd tables themselves never keep a task alive. Killing is the fallback:
 * {@link #exit} a child when done with it, which is prompt and reports failures.
 *
 * <p>{@link AutoCloseable}: {@link #close} exits a child that is still a task and leaves a program
 * it exec'd running, so try-with-resources ends a child used as a helper process and is harmless
 * around one that execs.
 */
public final class ChildTask extends ConfinedTask implements AutoCloseable {

    /** Where a child task is in its life. Shared with background actions, which must not hold the task. */
    enum State { ALIVE, EXECING, EXECED, EXITING, EXITED, DEAD }

    private final ClonedChild process;
    /** The task that made this one, kept as long as this one: the child dies with it ({@code PR_SET_PDEATHSIG}). */
    private final Task parent;
    private final ChildTransport connection;
    private final AtomicReference<State> state;
    private final ReentrantLock lifecycle = new ReentrantLock();
    /** The JVM's local task or the remote task this one descends from: it owns the address space. */
    private final Task root;
    /** The server's eventfd, owned by this task like any of its fds (so unshare and exit keep it right). */
    private FileDescriptor serverFd;
    /** Whether the task has left its table for good (guarded by {@link #lifecycle}). */
    private boolean left;
    /**
     * Whether another process may share this task's fd table ({@link CloneFlag#FILES} since the
     * last unshare): exec unshares it first.
     */
    private volatile boolean mayShareTable;

    private ChildTask(ClonedChild process, FDTable table, Task parent) {
        super(process.sysif(), process.pid(), table, parent.addressSpace());
        this.root = parent instanceof ChildTask c ? c.root : parent;
        this.process = process;
        this.parent = parent;
        this.connection = process.sysif();
        this.state = new AtomicReference<>(State.ALIVE);
        ChildTaskDeath.watch(this, process, state, !ChildTransport.inJvm(connection.local()));
    }

    /**
     * {@link ChildTaskDeath}, in the background after the process died unasked: the task leaves
     * its table as after {@link #exit}.
     */
    void leaveAfterDeath() {
        lifecycle.lock();
        try {
            leaveForGood();
        } finally {
            lifecycle.unlock();
        }
    }

    /**
     * Clones a process in this task's server ({@link Cloning}), unless the task execs, exits or
     * unshares meanwhile.
     */
    ClonedChild cloneProcess(boolean files, long namespaces) throws IOException {
        lifecycle.lock();
        try {
            checkAlive("clone");
            boolean inRootTable = fdTable() == root.fdTable();
            ClonedChild made = creatingFds(() -> Spawner.cloneFrom(connection.local(), process, files, inRootTable,
                    namespaces));
            mayShareTable |= files;
            return made;
        } finally {
            lifecycle.unlock();
        }
    }

    /** Closes the copies of its parent's fds this new child can't claim ({@link Cloning}). */
    void closeUnclaimableCopies() throws IOException {
        closeUnclaimable();
    }

    /**
     * The task of {@code process}, just cloned by {@code parent} in {@code table} (its own, or
     * the parent's with {@code files}); the process is killed if that fails.
     */
    static ChildTask of(ClonedChild process, FDTable table, Task parent, boolean files) {
        try {
            ChildTask child = new ChildTask(process, table, parent);
            if (!files) {
                FdInternals.kernelCopyMade(table); // the copy is made and its task in it
            }
            child.mayShareTable = files;
            child.serverFd = child.makeFdHandleFromNear(process.serverFd());
            process.takeServerFdsInParentTable(); // the handle owns it now, in whichever table
            return child;
        } catch (RuntimeException | Error e) {
            try {
                process.kill(SIGKILL);
                process.waitFor();
            } catch (SyscallException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * The pid this task's process sees for itself ({@code getpid(2)}), which its program keeps
     * after {@link #exec}: {@link #pid()} unless the task is in a pid namespace the JVM is not in
     * (then, e.g., 1 for the first process of a new one). What a program is told of its own pid,
     * such as socket activation's {@code LISTEN_PID}, must be this one.
     */
    public int ownPid() {
        return process.ownPid();
    }

    /**
     * Ends the child with {@code status} ({@code exit(2)}) and reaps it. Its handles stay, but
     * every later use of them fails; the fds only it owned in a table shared with others are
     * closed through another task of that table.
     */
    public void exit(int status) throws IOException {
        lifecycle.lock();
        try {
            checkAlive("exit");
            state.set(State.EXITING);
            setManipulatingFdTable(true);
            SyscallException failure = null;
            try {
                connection.syscall(Sys.EXIT, status);
                throw new IllegalStateException("exit(" + status + ") returned in child task " + pid());
            } catch (SyscallHangup expected) {
                // the child is gone: that is what exit does
            } catch (SyscallException e) {
                failure = e; // it was gone before: nothing was sent
            } finally {
                state.set(State.EXITED);
                leaveForGood();
            }
            process.waitFor();
            if (failure != null) {
                throw failure;
            }
        } finally {
            lifecycle.unlock();
        }
    }

    /**
     * Ends the child if it is still a task (it has not exec'd, exited or died) with
     * {@link #exit}{@code (0)}, and otherwise does nothing: a program it exec'd runs on, to be
     * waited for or killed through its {@link ChildProcess}. What try-with-resources calls;
     * idempotent. It waits for a syscall another thread is running in the child to return.
     *
     * @throws IOException the exit failed as {@link #exit} says
     */
    @Override
    public void close() throws IOException {
        lifecycle.lock();
        try {
            if (state.get() == State.ALIVE) {
                exit(0);
            }
        } catch (SyscallSendError gone) {
            // it ended before the request: ended all the same
        } catch (IllegalStateException e) {
            if (state.get() != State.DEAD) {
                throw e;
            }
            // it died just now, between the check and the exit
        } finally {
            lifecycle.unlock();
        }
    }

    /**
     * {@code unshare(CLONE_FILES)} in the child: the seed's algorithm, then every fd the child's new
     * table got a copy of but no handle of the child owns is closed (0, 1 and 2 stay).
     */
    @Override
    public void unshareFiles() throws IOException {
        lifecycle.lock();
        try {
            checkAlive("unshareFiles");
            super.unshareFiles();
            mayShareTable = false;
        } finally {
            lifecycle.unlock();
        }
    }

    /** {@link #exec(String, List, Map)} with the JVM's environment. */
    public ChildProcess exec(String path, List<String> argv) throws IOException {
        return exec(path, argv, System.getenv());
    }

    /**
     * Replaces the child's program with {@code path} ({@code execve(2)}); returns the running
     * program, which the JVM must {@linkplain ChildProcess#waitFor wait for}.
     *
     * <p>A {@code path} without a slash is looked up in {@code PATH} (of {@code env}, else the
     * JVM's), as {@code execvp} does. The program gets exactly fds 0, 1, 2 and the fds this task
     * set up for it: those its handles own with close-on-exec clear ({@link FileDescriptor#dup2},
     * {@link FileDescriptor#disableCloexec}). Everything else is made close-on-exec just before the
     * {@code execve}, including fds of the JVM that lack {@code O_CLOEXEC}: a child whose table
     * may be shared ({@link CloneFlag#FILES}) first {@linkplain #unshareFiles unshares} it (so the
     * JVM's own table is never touched); then the gaps between 0, 1, 2 and the numbers its handles
     * own are marked with {@code close_range(CLOSE_RANGE_CLOEXEC)}.
     * Marking rather than closing keeps a failed {@code execve} harmless. The program starts with
     * no signal blocked and every signal at its default disposition, except those the JVM's own
     * process ignores (a JVM under {@code nohup} ignores {@code SIGHUP}): those stay ignored, as
     * in a program {@code ProcessBuilder} starts; what this task itself set to be ignored is reset
     * too. It keeps this task's parent-death signal, so it ends with the JVM, unless the exec
     * changes its credentials (a set-user-ID or set-group-ID program of another owner or group,
     * file capabilities): the kernel clears the signal then ({@code prctl(2)},
     * {@code PR_SET_PDEATHSIG}). Guard such a program with a {@link JvmDeathGuard}, made before
     * the exec.
     *
     * @throws ErrnoException the {@code execve} failed (e.g. {@code ENOENT}); the child task is as
     *     it was (in a table of its own now, its signal handlers at their defaults, every signal
     *     blocked again) and can be used further
     */
    public ChildProcess exec(String path, List<String> argv, Map<String, String> env) throws IOException {
        return exec(path, argv, env, ChildProcess.Pipes.NONE, null);
    }

    /**
     * {@link #exec(String, List, Map)}, the program's streams being the JVM's ends of {@code pipes},
     * and {@code placement} (or null) putting its fds at their numbers just before.
     */
    ChildProcess exec(String path, List<String> argv, Map<String, String> env, ChildProcess.Pipes pipes,
            FdPlacement.Plan placement) throws IOException {
        return exec(ExecArgs.of(path, argv, env), pipes, placement);
    }

    /**
     * {@link #exec(String, List, Map)} with the program's path, its arguments and its environment
     * as the bytes the kernel gets, whatever they are (Linux's are bytes, not text): each
     * environment entry is {@code NAME=VALUE}, as {@code envp} holds it; {@code PATH} is looked up
     * among them.
     *
     * @throws IllegalArgumentException the path, an argument or an entry contains a NUL byte
     * @throws ErrnoException as {@link #exec(String, List, Map)}; its subject is the path as UTF-8
     */
    public ChildProcess exec(byte[] path, List<byte[]> argv, List<byte[]> env) throws IOException {
        return exec(ExecArgs.ofBytes(path, argv, env), ChildProcess.Pipes.NONE, null);
    }

    /** The exec of {@code a}, the program's streams being the JVM's ends of {@code pipes}. */
    private ChildProcess exec(ExecArgs a, ChildProcess.Pipes pipes, FdPlacement.Plan placement) throws IOException {
        lifecycle.lock();
        try {
            checkAlive("exec " + a.path());
            if (mayShareTable) {
                unshareFiles();
            } else {
                runFdTableGc(); // a dropped handle's fd must not be kept for the program
            }
            return ChildExec.run(this, connection, a, pipes, fdTable().trackedNumbers(), placement);
        } finally {
            lifecycle.unlock();
        }
    }

    /** {@link ChildExec}, under the lifecycle lock: the exec's requests are about to go. */
    void execStarting() {
        state.set(State.EXECING);
        setManipulatingFdTable(true);
    }

    /** {@link ChildExec}: the child exec'd; the task leaves its table, and the program is returned. */
    ChildProcess execed(List<String> argv, ChildProcess.Pipes pipes) {
        state.set(State.EXECED);
        leaveForGood();
        return new ChildProcess(process, argv, parent, pipes);
    }

    /** {@link ChildExec}: nothing was exec'd, and the child is intact. */
    void execNotRun() {
        state.set(State.ALIVE);
        setManipulatingFdTable(false);
    }

    /** {@link ChildExec}: the exec could not be sent or broke; the child is of no further use. */
    void execBroke() {
        if (state.compareAndSet(State.EXECING, State.DEAD)) {
            ChildTaskDeath.cleanUp(process, new WeakReference<>(this));
        }
    }

    /**
     * After exit or a successful exec, as in rsyscall: the task moves to a fresh table holding its
     * (now unusable) handles, and the fds only it owned in the old one are closed through another
     * task of that table, if there is one.
     */
    private void leaveForGood() {
        if (left) {
            return;
        }
        left = true;
        try {
            connection.close();
        } catch (SyscallException e) {
            // the connection is being given up; nothing depends on its close
        }
        FDTable old = fdTable();
        makeFreshFdTable();
        leaveFdTable(old);
    }

    /** Keeps 0, 1, 2 too: an exec'd program expects its stdio at those numbers. */
    @Override
    protected void closeUnownedAfterUnshare(int[] owned) throws IOException {
        super.closeUnownedAfterUnshare(ExecPreparation.kept(owned));
    }

    /** Names the reason first: "it has exited" says more than "it is manipulating its fd table". */
    @Override
    void checkCanMakeFds(String what) {
        checkAlive(what);
        super.checkCanMakeFds(what);
    }

    @Override
    boolean canMakeFds() {
        return state.get() == State.ALIVE && super.canMakeFds();
    }

    private void checkAlive(String what) {
        State s = state.get();
        if (s != State.ALIVE) {
            String why = switch (s) {
                case EXECING, EXECED -> "it has exec'd a program";
                case EXITING, EXITED -> "it has exited";
                default -> "it died (" + connection.goneReason() + ")";
            };
            throw new IllegalStateException("can't " + what + " in child task " + pid() + ": " + why);
        }
    }

    @Override
    <T> T whileAlive(String what, Step<T> step) throws IOException {
        lifecycle.lock();
        try {
            checkAlive(what);
            return step.run();
        } finally {
            lifecycle.unlock();
        }
    }

    /** Where the child is in its life. */
    State state() {
        return state.get();
    }

    /** The process behind this task (for tests and the package). */
    @Override
    ClonedChild process() {
        return process;
    }

    /** The handle of the server's fd (for tests). */
    List<FileDescriptor> serverFds() {
        return List.of(serverFd);
    }
}
