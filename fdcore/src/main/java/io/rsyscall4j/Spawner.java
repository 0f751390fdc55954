package io.rsyscall4j;

import static io.rsyscall4j.FdPlacement.JVM_FLOORS;
import static io.rsyscall4j.FdPlacement.SERVER_FLOORS;
import static io.rsyscall4j.FdPlacement.moveAbove;
import static io.rsyscall4j.FdPlacement.moveAboveQuietly;
import static io.rsyscall4j.api.Linux.CLONE_CHILD_CLEARTID;
import static io.rsyscall4j.api.Linux.CLONE_FILES;
import static io.rsyscall4j.api.Linux.CLONE_PIDFD;
import static io.rsyscall4j.api.Linux.CLONE_VM;
import static io.rsyscall4j.api.Linux.CLOSE_RANGE_ALL;
import static io.rsyscall4j.api.Linux.CLOSE_RANGE_UNSHARE;
import static io.rsyscall4j.api.Linux.SIGCHLD;
import static io.rsyscall4j.api.Linux.SIGKILL;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Linux;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallHangup;
import io.rsyscall4j.api.SyscallInterface;
import java.util.concurrent.locks.LockSupport;

/**
 * Makes child tasks: processes that share the JVM's memory and run the syscall server of
 * {@link ChildCode} on a {@link Mailbox} in their {@link ChildStack}, as rsyscall's
 * {@code clone_child_task} does on a socket. Children of the JVM are made here, on the
 * {@link SpawnerThread}; children of children by {@link CloneFromChild}.
 *
 * <p>Every child is cloned with {@code CLONE_VM | CLONE_PIDFD | CLONE_CHILD_CLEARTID | SIGCHLD},
 * plus {@code CLONE_FILES} on request:
 * <ul>
 * <li>{@code CLONE_VM}, as rsyscall always does: the mailbox and pointer arguments are plain
 *     memory both sides see, and clone costs the same whatever the heap size, where a fork-like
 *     clone copies the page tables of the whole JVM;
 * <li>{@code CLONE_PIDFD}: names the process without pid reuse races, and wakes a virtual thread
 *     parked for an answer when the child dies;
 * <li>{@code CLONE_CHILD_CLEARTID}: the kernel clears that word (the mailbox's answer word) when
 *     the child execs or exits, which is how a waiting call sees either, and when the child's
 *     stack may be unmapped;
 * <li>{@code SIGCHLD}: the child is an ordinary child of the JVM, reaped with {@code waitid}.
 * </ul>
 */
final class Spawner {
    private static final long BASE_FLAGS = CLONE_VM | CLONE_PIDFD | CLONE_CHILD_CLEARTID | SIGCHLD;
    /** How long a clone that hung up waits for a child it may have made to take its exit request. */
    static final long ORPHAN_EXIT_NANOS = 200_000_000L;
    private static final System.Logger LOG = System.getLogger(Spawner.class.getName());
    /** The parent of every child the JVM clones itself, as its trampoline checks. */
    static final int JVM_PID = (int) ProcessHandle.current().pid();

    private Spawner() {}

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
        ServerEventFd efd = eventFdInJvmTable(local, stack, false);
        boolean compact = keepBelow > 0 && !files && namespaces == 0;
        long flags = cloneFlags(files || compact, namespaces);
        long pid;
        try {
            long sp = stack.prepare(code.trampoline(), expectedParent(namespaces), efd.server());
            pid = SpawnerThread.run(() -> local.callFunction(
                    code.spawn(), flags, sp, stack.ptidAddress(), stack.ctidAddress(), 0, Sys.CLONE.number()));
            if (pid < 0) {
                throw new ErrnoException(Sys.CLONE, (int) -pid, Namespaces.describe(flags));
            }
        } catch (SyscallException | RuntimeException e) {
            efd.closeQuietly(local, e);
            freeQuietly(stack, e);
            throw e;
        }
        ClonedChild child = madeInJvmTable(local, null, (int) pid, stack, efd, files || compact);
        try {
            if (compact) {
                int below = Math.max(keepBelow, efd.server() + 1);
                child.sysif().syscall(Sys.CLOSE_RANGE, below, CLOSE_RANGE_ALL, CLOSE_RANGE_UNSHARE);
                child.takeServerFdsInParentTable(); // from here on the JVM's copy is its own
                local.syscall(Sys.CLOSE, efd.server());
            } else if (!files) {
                local.syscall(Sys.CLOSE, efd.server()); // the child has its copy
            }
            child.placeInPidNamespaces(namespaces);
        } catch (SyscallException | RuntimeException e) {
            abandon(child, e);
            throw e;
        }
        return child;
    }

    /**
     * Makes a child of {@code parent}, through its server (see {@link CloneFromChild}), in the
     * new namespaces of {@code namespaces} (0 for none); {@code parentInJvmTable} says the
     * parent's fd table is the JVM's own.
     */
    static ClonedChild cloneFrom(SyscallInterface local, ClonedChild parent, boolean files, boolean parentInJvmTable,
            long namespaces) throws SyscallException {
        return CloneFromChild.clone(local, parent, files, parentInJvmTable, namespaces);
    }

    /** The child a clone made over {@code efd} made in the JVM's table; its pidfd is in {@code stack}. */
    static ClonedChild madeInJvmTable(SyscallInterface local, ClonedChild parent, int pid, ChildStack stack,
            ServerEventFd efd, boolean files) {
        int pidfd = moveAboveQuietly(local, stack.ptid(), JVM_FLOORS);
        ChildSyscallInterface sysif = new ChildSyscallInterface(local, efd, pidfd, pid, stack);
        return new ClonedChild(local, parent, pid, pidfd, stack, sysif, efd.server(), files);
    }

    /**
     * Makes a connection's eventfd in the JVM's table, ready for a clone: the server's number, out
     * of the way, and with {@code jvmCopy} the JVM's own copy (else it has none until a virtual
     * thread's first call fetches one: see {@link ParkedWait}). On failure nothing is left behind:
     * the fds are closed and {@code stack} unmapped.
     */
    static ServerEventFd eventFdInJvmTable(SyscallInterface local, ChildStack stack, boolean jvmCopy)
            throws SyscallException {
        int fd;
        try {
            fd = ServerEventFd.make(local);
        } catch (SyscallException | RuntimeException e) {
            freeQuietly(stack, e);
            throw e;
        }
        int jvm = -1;
        try {
            if (jvmCopy) {
                jvm = moveAbove(local, fd, JVM_FLOORS);
                fd = -1;
                fd = (int) local.syscall(Sys.FCNTL, jvm, Linux.F_DUPFD_CLOEXEC, 0);
            }
            return new ServerEventFd(moveAbove(local, fd, SERVER_FLOORS), jvm);
        } catch (SyscallException | RuntimeException e) {
            if (fd >= 0) {
                RawFd.closeQuietly(local, fd, e);
            }
            if (jvm >= 0) {
                RawFd.closeQuietly(local, jvm, e);
            }
            freeQuietly(stack, e);
            throw e;
        }
    }

    /**
     * For a direct spawn from a virtual thread: a pipe instead of an eventfd, the server writing
     * its write end and the JVM reading the read end, each out of the way in the JVM's table (the
     * child gets both by the clone, close-on-exec). Once the JVM closes its copy of the write end
     * after the clone, the exec that closes the child's hangs the pipe up, so a parked caller sees
     * the exec at once. On failure nothing is left behind: the fds are closed and {@code stack}
     * unmapped.
     */
    static ServerEventFd execWatchingPipe(SyscallInterface local, ChildStack stack) throws SyscallException {
        int read = -1;
        int write = -1;
        try {
            int[] ends = RawFd.pipe2(local, stack.scratch(), ServerEventFd.FLAGS);
            read = ends[0];
            write = ends[1];
            read = moveAbove(local, read, JVM_FLOORS);
            write = moveAbove(local, write, SERVER_FLOORS);
            return new ServerEventFd(write, read);
        } catch (SyscallException | RuntimeException e) {
            new ServerEventFd(write, read).closeQuietly(local, e);
            freeQuietly(stack, e);
            throw e;
        }
    }

    /**
     * A child's parent-death signal is set by its trampoline, which runs after the clone: a
     * parent that died in between leaves the child without one. The trampoline sees that itself
     * (its parent is not the one {@link ChildStack#prepare} named) and exits rather than serve,
     * an orphan outliving the JVM. This round trip tells the JVM, before it hands the child out: the
     * server answers only after the trampoline ran, so if its parent is still the one that cloned
     * it, the signal will come when that parent dies; if not (or if it no longer answers), the
     * clone failed and the child is abandoned (killed and released by the caller), its fds in the
     * JVM's table closed.
     */
    static void checkParentOutlivedTheClone(ClonedChild child, ClonedChild parent, int expectedPpid)
            throws SyscallException {
        long ppid = child.sysif().syscall(Sys.GETPPID);
        if (ppid != expectedPpid) {
            throw new SyscallHangup("clone: child task " + parent.pid() + " died while cloning child " + child.pid()
                    + ", which was then reparented to " + ppid + " without its parent-death signal");
        }
    }

    /** The flags of a clone: the base ones, {@code CLONE_FILES} if asked, and the namespaces. */
    static long cloneFlags(boolean files, long namespaces) {
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

    /** A child that could not be set up: kill it, reap it, release it. */
    static void abandon(ClonedChild child, Exception failure) {
        try {
            child.kill(SIGKILL);
            child.waitFor();
        } catch (SyscallException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /**
     * After a clone that hung up (its parent is gone): asks a child it may have made to exit, and
     * waits up to {@link #ORPHAN_EXIT_NANOS} for one to do so (its answer word cleared). Returns
     * whether the stack is free of any child: then everything it was given may be released. A
     * clone that stored no pidfd made no child ({@code CLONE_PIDFD} stores it before the child
     * exists).
     */
    static boolean endOrphan(SyscallInterface local, ChildStack stack, ClonedChild parent, Exception failure) {
        if (stack.ptid() == -1) {
            return true;
        }
        Mailbox.askToExit(local, stack.base());
        long end = System.nanoTime() + ORPHAN_EXIT_NANOS;
        while (!stack.childDone()) {
            if (System.nanoTime() - end > 0) {
                LOG.log(System.Logger.Level.WARNING, "rsyscall4j: child task " + parent.pid() + " died during a clone;"
                        + " the new child's stack and eventfd are left alone in case that child runs", failure);
                return false;
            }
            LockSupport.parkNanos(100_000);
        }
        return true;
    }

    static void freeQuietly(ChildStack stack, Exception failure) {
        try {
            stack.freeUnused();
        } catch (SyscallException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }
}
