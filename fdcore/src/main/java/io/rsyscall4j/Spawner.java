package io.rsyscall4j;

import static io.rsyscall4j.RawFd.closeQuietly;
import static io.rsyscall4j.api.Linux.CLONE_CHILD_CLEARTID;
import static io.rsyscall4j.api.Linux.CLONE_FILES;
import static io.rsyscall4j.api.Linux.CLONE_PIDFD;
import static io.rsyscall4j.api.Linux.CLONE_VM;
import static io.rsyscall4j.api.Linux.CLOSE_RANGE_ALL;
import static io.rsyscall4j.api.Linux.CLOSE_RANGE_UNSHARE;
import static io.rsyscall4j.api.Linux.F_DUPFD_CLOEXEC;
import static io.rsyscall4j.api.Linux.F_SETFL;
import static io.rsyscall4j.api.Linux.O_NONBLOCK;
import static io.rsyscall4j.api.Linux.P_PID;
import static io.rsyscall4j.api.Linux.SIGCHLD;
import static io.rsyscall4j.api.Linux.SIGKILL;
import static io.rsyscall4j.api.Linux.WEXITED;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.Linux;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallHangup;
import io.rsyscall4j.api.SyscallInterface;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Makes child tasks: processes that share the JVM's memory and run the syscall server of
 * {@link ChildCode} on a pair of pipes ({@link ServerPipes}), as rsyscall's
 * {@code clone_child_task} does on a socket.
 *
 * <p>Every child is cloned with {@code CLONE_VM | CLONE_PIDFD | CLONE_CHILD_CLEARTID | SIGCHLD},
 * plus {@code CLONE_FILES} on request:
 * <ul>
 * <li>{@code CLONE_VM}, as rsyscall always does: pointer arguments need no copying (see
 *     {@link ChildSyscallInterface}), and clone costs the same whatever the heap size, where a
 *     fork-like clone copies the page tables of the whole JVM;
 * <li>{@code CLONE_PIDFD}: the pidfd signals death even when the server's pipe ends have copies
 *     in a shared table, and names the process without pid reuse races;
 * <li>{@code CLONE_CHILD_CLEARTID}: the kernel clears that word when the child execs or exits, which
 *     is how an exec is seen and when the child's stack may be unmapped;
 * <li>{@code SIGCHLD}: the child is an ordinary child of the JVM, reaped with {@code waitid}.
 * </ul>
 *
 * <p>The JVM clones its own children on one long-lived platform thread, never the caller's:
 * {@code PR_SET_PDEATHSIG} fires when the <em>thread</em> that made the child exits, so a child
 * cloned from a short-lived thread (or a virtual thread's carrier) would be killed with it.
 * Children of children are cloned by their parent's server, whose thread is the parent itself.
 *
 * <p>That thread lives as long as any child it made does (counting the programs they exec'd, whom
 * the signal follows), and as long as a clone is queued for it. Once none is left it may be
 * {@linkplain #stopIfIdle stopped}, so that a container unloading fdcore is not kept from it by a
 * thread that never ends; the next clone starts a new one.
 */
final class Spawner {
    private static final long BASE_FLAGS = CLONE_VM | CLONE_PIDFD | CLONE_CHILD_CLEARTID | SIGCHLD;

    /** How long a clone that hung up waits for a child it may have made to read its exit request. */
    private static final long ORPHAN_EXIT_NANOS = 200_000_000L;
    /**
     * Where the child's ends of its connection go: above the numbers callers set up for a
     * program, and low, so that a child's own table, once the copies it cannot use are closed,
     * stays small.
     */
    private static final int[] SERVER_FD_FLOORS = {64};
    /**
     * Where the JVM's ends of every connection and the children's pidfds go, tried in turn (the fd
     * limit may be low): above the children's ends, so that thousands of children do not push the
     * next child's ends (and so its table) up.
     */
    private static final int[] JVM_FD_FLOORS = {1024, 256};

    private static final System.Logger LOG = System.getLogger(Spawner.class.getName());
    /** The parent of every child the JVM clones itself, as its trampoline checks. */
    private static final int JVM_PID = (int) ProcessHandle.current().pid();
    static final String THREAD_NAME = "rsyscall4j-spawner";
    /** The job that ends a spawner thread: queued only when it has no child and no other job. */
    private static final Runnable STOP = () -> { };
    private static final Object LIFE = new Object();
    /** The spawner thread and its queue of clones, or null when none runs. Guarded by {@link #LIFE}. */
    private static Worker worker;
    /**
     * Clones queued for or running on the spawner thread, plus the children they made that are
     * not reaped yet: while above zero the thread must not end. Guarded by {@link #LIFE}.
     */
    private static int inUse;

    /** One spawner thread and the queue only it takes from (a stopping thread never takes a new job). */
    private record Worker(Thread thread, BlockingQueue<Runnable> work) {
        static Worker start() {
            BlockingQueue<Runnable> work = new LinkedBlockingQueue<>();
            Thread t = new Thread(() -> serve(work), THREAD_NAME);
            t.setDaemon(true);
            t.setContextClassLoader(Spawner.class.getClassLoader());
            t.start();
            return new Worker(t, work);
        }
    }

    private Spawner() {}

    /**
     * A spawner thread's loop, until it takes {@link #STOP}, which is queued only once no child of
     * it is alive: before that it must not end, or its children would all die with it.
     */
    private static void serve(BlockingQueue<Runnable> work) {
        while (true) {
            try {
                Runnable job = work.take();
                if (job == STOP) {
                    return;
                }
                job.run();
            } catch (Throwable t) {
                // Every job catches its own failures, so this is a bug; the thread stays alive
                // all the same, for the children it made.
                LOG.log(System.Logger.Level.ERROR, "rsyscall4j: a job of the spawner thread failed", t);
            }
        }
    }

    /**
     * Ends the spawner thread if no child it made is alive and no clone is queued, waiting up to
     * {@code timeout}; the next clone starts a new thread. Returns whether no spawner thread is
     * left running (also true if none ever ran).
     */
    static boolean stopIfIdle(Duration timeout) {
        Worker w;
        synchronized (LIFE) {
            if (worker == null) {
                return true;
            }
            if (inUse > 0) {
                return false;
            }
            w = worker;
            worker = null;
            w.work().add(STOP);
        }
        try {
            w.thread().join(Math.max(1, timeout.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !w.thread().isAlive();
    }

    /** Whether a spawner thread runs now. */
    static boolean isRunning() {
        synchronized (LIFE) {
            return worker != null && worker.thread().isAlive();
        }
    }

    /** A child of the JVM (made on the spawner thread) was reaped: it no longer needs the thread. */
    static void childReaped() {
        synchronized (LIFE) {
            inUse--;
        }
    }

    /**
     * Makes a child of the JVM. The clone runs on the spawner thread; the rest here.
     *
     * @param local the JVM's own provider
     * @param files share the JVM's fd table ({@code CLONE_FILES})
     */
    static ClonedChild cloneLocal(SyscallInterface local, boolean files) throws SyscallException {
        return cloneLocal(local, files, 0);
    }

    /**
     * As {@link #cloneLocal(SyscallInterface, boolean)}, the child made in the new namespaces
     * {@code namespaces} ({@code CLONE_NEW*} bits) too.
     */
    static ClonedChild cloneLocal(SyscallInterface local, boolean files, long namespaces) throws SyscallException {
        return cloneLocal(local, files, namespaces, 0);
    }

    /**
     * As {@link #cloneLocal(SyscallInterface, boolean, long)}; a {@code keepBelow} above 0 (for a
     * child without {@code FILES} or namespaces) gives the child a table sized to what it keeps:
     * it is cloned sharing the JVM's table, then copies only the fds below {@code keepBelow} and
     * its connection ({@code close_range} with {@code CLOSE_RANGE_UNSHARE}), where a plain clone
     * would copy a table as large as the JVM's.
     */
    static ClonedChild cloneLocal(SyscallInterface local, boolean files, long namespaces, int keepBelow)
            throws SyscallException {
        ChildCode code = ChildCode.load(local);
        ChildStack stack = ChildStack.allocate(local);
        ServerPipes pipes = pipesInJvmTable(local, stack);
        boolean compact = keepBelow > 0 && !files && namespaces == 0;
        long flags = cloneFlags(files || compact, namespaces);
        long pid;
        try {
            long sp = stack.prepare(code.trampoline(), expectedParent(namespaces), pipes.requestRead(),
                    pipes.answerWrite());
            pid = onSpawnerThread(() -> local.callFunction(
                    code.spawn(), flags, sp, stack.ptidAddress(), stack.ctidAddress(), 0));
            if (pid < 0) {
                throw new ErrnoException(Sys.CLONE, (int) -pid, Namespaces.describe(flags));
            }
        } catch (SyscallException | RuntimeException e) {
            pipes.closeQuietly(local, e);
            freeQuietly(stack, e);
            throw e;
        }
        ClonedChild child = madeInJvmTable(local, null, (int) pid, stack, pipes, files || compact);
        try {
            if (compact) {
                int below = Math.max(keepBelow, Math.max(pipes.requestRead(), pipes.answerWrite()) + 1);
                child.sysif().syscall(Sys.CLOSE_RANGE, below, CLOSE_RANGE_ALL, CLOSE_RANGE_UNSHARE);
                child.takeServerFdsInParentTable(); // from here on the JVM's copies are its own
                local.syscall(Sys.CLOSE, pipes.requestRead());
                local.syscall(Sys.CLOSE, pipes.answerWrite());
                for (int jvmEnd : new int[] {pipes.requestWrite(), pipes.answerRead()}) {
                    if (jvmEnd < below) {
                        closeAll(child.sysif(), jvmEnd);
                    }
                }
            } else if (!files) {
                separateCopies(local, child, pipes);
            }
            child.placeInPidNamespaces(namespaces);
        } catch (SyscallException | RuntimeException e) {
            abandon(child, e);
            throw e;
        }
        return child;
    }

    /**
     * Makes a child of {@code parent}: the pipes and the clone are made in the parent's server
     * (so the new child's table derives from the parent's, and its parent-death signal follows the
     * parent), and the JVM takes its own copies of its ends of the pipes and of the new child's
     * pidfd with {@code pidfd_getfd}, closing the parent's. (A parent whose table is the JVM's own
     * takes {@link #cloneFromInJvmTable} instead.) {@code parentInJvmTable} says the parent's fd
     * table is the JVM's own, so the JVM can make (and always clean up) the new child's fds itself.
     */
    static ClonedChild cloneFrom(SyscallInterface local, ClonedChild parent, boolean files, boolean parentInJvmTable)
            throws SyscallException {
        return cloneFrom(local, parent, files, parentInJvmTable, 0);
    }

    /**
     * As {@link #cloneFrom(SyscallInterface, ClonedChild, boolean, boolean)}, the child made in the
     * new namespaces {@code namespaces} ({@code CLONE_NEW*} bits) too.
     */
    static ClonedChild cloneFrom(SyscallInterface local, ClonedChild parent, boolean files, boolean parentInJvmTable,
            long namespaces) throws SyscallException {
        if (parentInJvmTable) {
            return cloneFromInJvmTable(local, parent, files, namespaces);
        }
        ChildCode code = ChildCode.load(local);
        ChildSyscallInterface p = parent.sysif();
        ChildStack stack = ChildStack.allocate(local);
        ServerPipes pipes;
        try {
            pipes = ServerPipes.make(p, stack);
        } catch (SyscallException | RuntimeException e) {
            freeQuietly(stack, e);
            throw e;
        }
        int ourRequest = -1;
        int ourAnswer = -1;
        long flags = cloneFlags(files, namespaces);
        int expectedPpid = parent.parentPidForChild(namespaces);
        long pid;
        boolean cloneSent = false;
        try {
            pipes = pipes.withRequestRead(moveAbove(p, pipes.requestRead(), SERVER_FD_FLOORS));
            pipes = pipes.withAnswerWrite(moveAbove(p, pipes.answerWrite(), SERVER_FD_FLOORS));
            ourRequest = moveAboveQuietly(local,
                    (int) local.syscall(Sys.PIDFD_GETFD, parent.pidfd(), pipes.requestWrite(), 0), JVM_FD_FLOORS);
            ourAnswer = moveAboveQuietly(local,
                    (int) local.syscall(Sys.PIDFD_GETFD, parent.pidfd(), pipes.answerRead(), 0), JVM_FD_FLOORS);
            local.syscall(Sys.FCNTL, ourRequest, F_SETFL, O_NONBLOCK);
            local.syscall(Sys.FCNTL, ourAnswer, F_SETFL, O_NONBLOCK);
            long sp = stack.prepare(code.trampoline(), expectedPpid, pipes.requestRead(),
                    pipes.answerWrite());
            cloneSent = true;
            pid = cloneIn(p, flags, sp, stack);
        } catch (SyscallException | RuntimeException e) {
            if (ourRequest >= 0) {
                // Through the JVM's copy of the request pipe: a child the clone may have made exits
                // (it holds a copy of the write end itself, so closing ours would give it no EOF).
                ChildSyscallInterface.askToExit(local, ourRequest);
                closeQuietly(local, ourRequest, e);
            }
            if (ourAnswer >= 0) {
                closeQuietly(local, ourAnswer, e);
            }
            pipes.closeQuietly(p, e);
            if (cloneSent && e instanceof SyscallHangup && !awaitChildDone(stack, ORPHAN_EXIT_NANOS)) {
                // The clone may have run and its child may still run on this stack, in the JVM's
                // memory: unmapping it would let that child write into whatever is mapped there
                // next. Leave it mapped.
                LOG.log(System.Logger.Level.WARNING, "rsyscall4j: child task " + parent.pid() + " died during a clone;"
                        + " the new child's stack stays mapped in case that child runs", e);
            } else {
                freeQuietly(stack, e);
            }
            throw e;
        }
        int pidfd = -1;
        ChildSyscallInterface sysif = null;
        try {
            int parentsPidfd = stack.ptid();
            pidfd = moveAboveQuietly(local, (int) local.syscall(Sys.PIDFD_GETFD, parent.pidfd(), parentsPidfd, 0),
                    JVM_FD_FLOORS);
            sysif = new ChildSyscallInterface(local, ourRequest, ourAnswer, pidfd, (int) pid, stack);
            if (files) {
                closeAll(p, parentsPidfd, pipes.requestWrite(), pipes.answerRead());
            } else {
                closeAll(p, parentsPidfd, pipes.requestWrite(), pipes.answerRead(), pipes.requestRead(),
                        pipes.answerWrite());
                closeAll(sysif, pipes.requestWrite(), pipes.answerRead());
            }
        } catch (SyscallException | RuntimeException e) {
            if (sysif == null) {
                // Without a pidfd of our own the child cannot be watched: kill it through its
                // parent and reap it there.
                killThroughParent(p, (int) pid, stack, e);
                closeQuietly(local, ourRequest, e);
                closeQuietly(local, ourAnswer, e);
                pipes.closeQuietly(p, e);
                throw e;
            }
            abandon(new ClonedChild(local, parent, (int) pid, pidfd, stack, sysif, pipes.requestRead(),
                    pipes.answerWrite(), files), e);
            throw e;
        }
        ClonedChild child = new ClonedChild(local, parent, (int) pid, pidfd, stack, sysif, pipes.requestRead(),
                pipes.answerWrite(), files);
        try {
            checkParentOutlivedTheClone(child, parent, expectedPpid);
            child.placeInPidNamespaces(namespaces);
        } catch (SyscallException | RuntimeException e) {
            abandon(child, e);
            throw e;
        }
        return child;
    }

    /**
     * Makes a child of {@code parent}, whose fd table is the JVM's own (it was cloned with FILES,
     * all the way up, and has not unshared): everything but the clone itself is done here, by the
     * JVM, in that same table. So whatever happens to the parent — killed between two steps, or
     * during the clone — the JVM knows every fd the setup made and closes them itself. (Made
     * through the parent, a parent killed between making the pipes and the clone left them, and
     * perhaps the new child's pidfd, open in the JVM's table with nobody able to close them.)
     */
    private static ClonedChild cloneFromInJvmTable(SyscallInterface local, ClonedChild parent, boolean files,
            long namespaces) throws SyscallException {
        ChildCode code = ChildCode.load(local);
        SyscallInterface p = parent.sysif();
        ChildStack stack = ChildStack.allocate(local);
        ServerPipes pipes = pipesInJvmTable(local, stack);
        long flags = cloneFlags(files, namespaces);
        int expectedPpid = parent.parentPidForChild(namespaces);
        long pid;
        try {
            long sp = stack.prepare(code.trampoline(), expectedPpid, pipes.requestRead(),
                    pipes.answerWrite());
            pid = cloneIn(p, flags, sp, stack);
        } catch (SyscallHangup e) {
            // The parent died with the clone sent: it may have run, making a child whose server reads
            // the request pipe in this very table, perhaps without a parent-death signal. Closing its
            // ends under it would let it use whatever next gets those numbers, so first end its
            // server: an exit request down the pipe (closing the JVM's end would give no EOF: a child
            // without FILES holds a copy), and give such a child a moment to exit (it clears its futex
            // word). If one does, everything it had is known — the pipes, and the pidfd the kernel
            // stored, installed since the child ran — and released. If none does, the pipes and the
            // stack are left alone: a small leak, rather than numbers a child may still use.
            ChildSyscallInterface.askToExit(local, pipes.requestWrite());
            if (awaitChildDone(stack, ORPHAN_EXIT_NANOS)) {
                closeQuietly(local, stack.ptid(), e);
                pipes.closeQuietly(local, e);
                freeQuietly(stack, e);
            } else {
                LOG.log(System.Logger.Level.WARNING, "rsyscall4j: child task " + parent.pid() + " died during a clone;"
                        + " its connection fds " + pipes + " are left open, in case a new child still uses them", e);
            }
            throw e;
        } catch (SyscallException | RuntimeException e) {
            // Not sent, or refused: no child was made.
            pipes.closeQuietly(local, e);
            freeQuietly(stack, e);
            throw e;
        }
        ClonedChild child = madeInJvmTable(local, parent, (int) pid, stack, pipes, files);
        try {
            if (!files) {
                separateCopies(local, child, pipes);
            }
            checkParentOutlivedTheClone(child, parent, expectedPpid);
            child.placeInPidNamespaces(namespaces);
        } catch (SyscallException | RuntimeException e) {
            // Its pipe ends in the parent's table are in the JVM's: the dead parent cannot close them.
            int[] serverFds = child.takeServerFdsInParentTable();
            abandon(child, e);
            for (int fd : serverFds) {
                closeQuietly(local, fd, e);
            }
            throw e;
        }
        return child;
    }

    /** The child a clone made over {@code pipes} made in the JVM's table; its pidfd is in {@code stack}. */
    private static ClonedChild madeInJvmTable(SyscallInterface local, ClonedChild parent, int pid, ChildStack stack,
            ServerPipes pipes, boolean files) {
        int pidfd = moveAboveQuietly(local, stack.ptid(), JVM_FD_FLOORS);
        ChildSyscallInterface sysif = new ChildSyscallInterface(
                local, pipes.requestWrite(), pipes.answerRead(), pidfd, pid, stack);
        return new ClonedChild(local, parent, pid, pidfd, stack, sysif, pipes.requestRead(), pipes.answerWrite(), files);
    }

    /**
     * A child without FILES got a copy of the JVM's table: drop its copies of the JVM's ends (its
     * copy of the request pipe's write end would keep it from ever seeing EOF), and the JVM's
     * copies of the child's ends.
     */
    private static void separateCopies(SyscallInterface local, ClonedChild child, ServerPipes pipes)
            throws SyscallException {
        local.syscall(Sys.CLOSE, pipes.requestRead());
        local.syscall(Sys.CLOSE, pipes.answerWrite());
        closeAll(child.sysif(), pipes.requestWrite(), pipes.answerRead());
    }

    /**
     * Makes a connection's pipes in the JVM's table, ready for a clone: the server's ends moved
     * out of the way, the JVM's ends non-blocking. On failure nothing is left behind: the pipes are
     * closed and {@code stack} unmapped.
     */
    private static ServerPipes pipesInJvmTable(SyscallInterface local, ChildStack stack) throws SyscallException {
        ServerPipes pipes;
        try {
            pipes = ServerPipes.make(local, stack);
        } catch (SyscallException | RuntimeException e) {
            freeQuietly(stack, e);
            throw e;
        }
        try {
            pipes = pipes.withJvmEnds(moveAbove(local, pipes.requestWrite(), JVM_FD_FLOORS),
                    moveAbove(local, pipes.answerRead(), JVM_FD_FLOORS));
            pipes = pipes.withRequestRead(moveAbove(local, pipes.requestRead(), SERVER_FD_FLOORS));
            pipes = pipes.withAnswerWrite(moveAbove(local, pipes.answerWrite(), SERVER_FD_FLOORS));
            local.syscall(Sys.FCNTL, pipes.requestWrite(), F_SETFL, O_NONBLOCK);
            local.syscall(Sys.FCNTL, pipes.answerRead(), F_SETFL, O_NONBLOCK);
            return pipes;
        } catch (SyscallException | RuntimeException e) {
            pipes.closeQuietly(local, e);
            freeQuietly(stack, e);
            throw e;
        }
    }

    /**
     * A child's parent-death signal is set by its trampoline, which runs after the clone: a
     * parent that died in between leaves the child without one. The trampoline sees that itself
     * (its parent is not the one {@link ChildStack#prepare} named) and exits rather than serve, an
     * orphan outliving the JVM. This round trip tells the JVM, before it hands the child out: the
     * server answers only after the trampoline ran, so if its parent is still the one that cloned
     * it, the signal will come when that parent dies; if not (or if it no longer answers), the
     * clone failed and the child is abandoned (killed and released by the caller), its fds in the
     * JVM's table closed.
     */
    private static void checkParentOutlivedTheClone(ClonedChild child, ClonedChild parent, int expectedPpid)
            throws SyscallException {
        long ppid = child.sysif().syscall(Sys.GETPPID);
        if (ppid != expectedPpid) {
            throw new SyscallHangup("clone: child task " + parent.pid() + " died while cloning child " + child.pid()
                    + ", which was then reparented to " + ppid + " without its parent-death signal");
        }
    }

    /** The flags of a clone: the base ones, {@code CLONE_FILES} if asked, and the namespaces. */
    private static long cloneFlags(boolean files, long namespaces) {
        if ((namespaces & ~Namespaces.ALL) != 0) {
            throw new IllegalArgumentException("not namespace flags: 0x" + Long.toHexString(namespaces & ~Namespaces.ALL));
        }
        return BASE_FLAGS | (files ? CLONE_FILES : 0) | namespaces;
    }

    /**
     * The parent the new child's {@code getppid} must name, as its trampoline and
     * {@link #checkParentOutlivedTheClone} check: 0 for the first process of a new pid namespace,
     * whose parent is outside it (so for such a child a parent dying during the clone goes unseen,
     * and the child serves on until the JVM closes its connection).
     */
    private static int expectedParent(long namespaces) {
        return (namespaces & Linux.CLONE_NEWPID) != 0 ? 0 : JVM_PID;
    }

    /** A clone in a child's server; a refusal names the flags asked. */
    private static long cloneIn(SyscallInterface p, long flags, long sp, ChildStack stack) throws SyscallException {
        try {
            return p.syscall(Sys.CLONE, flags, sp, stack.ptidAddress(), stack.ctidAddress(), 0);
        } catch (ErrnoException e) {
            throw e.withSubject(Namespaces.describe(flags));
        }
    }

    /**
     * Moves {@code fd} to the lowest free number above the first of {@code floors} that has room,
     * through {@code sysif} (the task whose table holds it), and returns it. A child's ends of its
     * connection are the fds in the child its caller did not ask for, and the lowest free numbers,
     * where {@code pipe2} puts them, are just where callers want the fds they set up for a program
     * (3, 4, ... in socket activation): there they would be in their way. Keeps {@code fd} where
     * it is if the fd limit leaves no room above the floors.
     */
    private static int moveAbove(SyscallInterface sysif, int fd, int[] floors) throws SyscallException {
        for (int floor : floors) {
            try {
                int high = (int) sysif.syscall(Sys.FCNTL, fd, F_DUPFD_CLOEXEC, floor);
                sysif.syscall(Sys.CLOSE, fd);
                return high;
            } catch (ErrnoException e) {
                if (e.errno() != Errno.EINVAL && e.errno() != Errno.EMFILE) {
                    throw e;
                }
            }
        }
        return fd;
    }

    /** {@link #moveAbove}, keeping {@code fd} where it is if it cannot be moved. */
    private static int moveAboveQuietly(SyscallInterface sysif, int fd, int[] floors) {
        try {
            return moveAbove(sysif, fd, floors);
        } catch (SyscallException | RuntimeException e) {
            return fd;
        }
    }

    private static void killThroughParent(SyscallInterface p, int pid, ChildStack stack, Exception failure) {
        try {
            p.syscall(Sys.KILL, pid, SIGKILL);
            p.syscall(Sys.WAITID, P_PID, pid, stack.scratch(), WEXITED, 0);
            stack.free();
        } catch (SyscallException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /** A child that could not be set up: kill it, reap it, release it. */
    private static void abandon(ClonedChild child, Exception failure) {
        try {
            child.kill(SIGKILL);
            child.waitFor();
        } catch (SyscallException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /**
     * Runs a clone on the spawner thread (starting one if none runs). The clone counts as in use
     * from now on; if it makes a child, the count passes to the child, until
     * {@link #childReaped}; if it does not (an exception, or a negative result), it ends here.
     */
    private static long onSpawnerThread(SpawnCall call) throws SyscallException {
        BlockingQueue<Runnable> work;
        synchronized (LIFE) {
            if (worker == null) {
                worker = Worker.start();
            }
            work = worker.work();
            inUse++;
        }
        boolean madeChild = false;
        try {
            long pid = runOn(work, call);
            madeChild = pid > 0;
            return pid;
        } finally {
            if (!madeChild) {
                childReaped();
            }
        }
    }

    private static long runOn(BlockingQueue<Runnable> work, SpawnCall call) throws SyscallException {
        CompletableFuture<Long> result = new CompletableFuture<>();
        work.add(() -> {
            try {
                result.complete(call.run());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return result.get();
                } catch (InterruptedException e) {
                    // The clone may already be under way: its child must not be lost.
                    interrupted = true;
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof RuntimeException) {
                        throw (RuntimeException) cause;
                    }
                    if (cause instanceof Error) {
                        throw (Error) cause;
                    }
                    throw new IllegalStateException("spawning a child failed", cause);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @FunctionalInterface
    private interface SpawnCall {
        long run();
    }

    /** Waits up to {@code nanos} for the child of {@code stack} to exit (its futex word cleared). */
    private static boolean awaitChildDone(ChildStack stack, long nanos) {
        long end = System.nanoTime() + nanos;
        while (!stack.childDone()) {
            if (System.nanoTime() - end > 0) {
                return false;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(100_000);
        }
        return true;
    }

    /**
     * Closes {@code fds} in the child of {@code sysif} in one round trip; throws the first failure,
     * after all of them were tried.
     */
    private static void closeAll(ChildSyscallInterface sysif, int... fds) throws SyscallException {
        List<SyscallRequest> closes = new ArrayList<>(fds.length);
        for (int fd : fds) {
            closes.add(SyscallRequest.of(Sys.CLOSE, fd));
        }
        long[] results = sysif.pipeline(closes);
        for (int i = 0; i < results.length; i++) {
            if (results[i] < 0 && results[i] >= -4095) {
                throw ErrnoException.of(Sys.CLOSE, (int) -results[i], fds[i]);
            }
        }
    }

    private static void freeQuietly(ChildStack stack, Exception failure) {
        try {
            stack.freeUnused();
        } catch (SyscallException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }
}
