package io.rsyscall4j;

import static io.rsyscall4j.FdPlacement.JVM_FLOORS;
import static io.rsyscall4j.FdPlacement.SERVER_FLOORS;
import static io.rsyscall4j.FdPlacement.closeAll;
import static io.rsyscall4j.FdPlacement.moveAbove;
import static io.rsyscall4j.FdPlacement.moveAboveQuietly;
import static io.rsyscall4j.RawFd.closeQuietly;
import static io.rsyscall4j.Spawner.abandon;
import static io.rsyscall4j.Spawner.checkParentOutlivedTheClone;
import static io.rsyscall4j.Spawner.cloneFlags;
import static io.rsyscall4j.Spawner.endOrphan;
import static io.rsyscall4j.Spawner.freeQuietly;
import static io.rsyscall4j.api.Linux.P_PID;
import static io.rsyscall4j.api.Linux.SIGKILL;
import static io.rsyscall4j.api.Linux.WEXITED;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallHangup;
import io.rsyscall4j.api.SyscallInterface;

/**
 * Makes children of child tasks: the clone runs in the parent's server (so the new child's table
 * derives from the parent's, and its parent-death signal follows the parent). The new child's
 * stack and mailbox are memory of the JVM's like any child's ({@code CLONE_VM} all the way down).
 */
final class CloneFromChild {
    private CloneFromChild() {}

    /**
     * Makes a child of {@code parent}. {@code parentInJvmTable} says the parent's fd table is the
     * JVM's own, so the JVM can make (and always clean up) the new child's eventfd itself
     * ({@link #cloneInJvmTable}); otherwise the eventfd is made in the parent's table, and the
     * JVM takes a copy of the new child's pidfd with {@code pidfd_getfd}, closing the parent's.
     */
    static ClonedChild clone(SyscallInterface local, ClonedChild parent, boolean files, boolean parentInJvmTable,
            long namespaces) throws SyscallException {
        if (parentInJvmTable) {
            return cloneInJvmTable(local, parent, files, namespaces);
        }
        ChildCode code = ChildCode.load(local);
        ChildTransport p = parent.sysif();
        ChildStack stack = ChildStack.allocate(local);
        int serverFd;
        try {
            serverFd = ServerEventFd.make(p);
        } catch (SyscallException | RuntimeException e) {
            freeQuietly(stack, e);
            throw e;
        }
        long flags = cloneFlags(files, namespaces);
        int expectedPpid = parent.pids().forChild(namespaces);
        long pid;
        boolean cloneSent = false;
        try {
            serverFd = moveAbove(p, serverFd, SERVER_FLOORS);
            long sp = stack.prepare(code.trampoline(), expectedPpid, serverFd);
            cloneSent = true;
            pid = cloneIn(p, flags, sp, stack);
        } catch (SyscallException | RuntimeException e) {
            closeQuietly(p, serverFd, e);
            if (!cloneSent || !(e instanceof SyscallHangup) || endOrphan(local, stack, parent, e)) {
                // No child runs on this stack (one that may run would write into whatever is
                // mapped there next: its stack then stays mapped).
                freeQuietly(stack, e);
            }
            throw e;
        }
        int pidfd = -1;
        ChildSyscallInterface sysif = null;
        try {
            int parentsPidfd = stack.ptid();
            pidfd = moveAboveQuietly(local, (int) local.syscall(Sys.PIDFD_GETFD, parent.pidfd(), parentsPidfd, 0),
                    JVM_FLOORS);
            sysif = new ChildSyscallInterface(local, new ServerEventFd(serverFd, -1), pidfd, (int) pid, stack);
            if (files) {
                closeAll(p, parentsPidfd);
            } else {
                closeAll(p, parentsPidfd, serverFd);
            }
        } catch (SyscallException | RuntimeException e) {
            if (sysif == null) {
                // Without a pidfd of our own the child cannot be watched: kill it through its
                // parent and reap it there.
                killThroughParent(p, (int) pid, stack, e);
                closeQuietly(p, serverFd, e);
                throw e;
            }
            abandon(new ClonedChild(local, parent, (int) pid, pidfd, stack, sysif, serverFd, files), e);
            throw e;
        }
        ClonedChild child = new ClonedChild(local, parent, (int) pid, pidfd, stack, sysif, serverFd, files);
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
     * during the clone — the JVM knows every fd the setup made and closes them itself.
     */
    private static ClonedChild cloneInJvmTable(SyscallInterface local, ClonedChild parent, boolean files,
            long namespaces) throws SyscallException {
        ChildCode code = ChildCode.load(local);
        ChildTransport p = parent.sysif();
        ChildStack stack = ChildStack.allocate(local);
        ServerEventFd efd = Spawner.eventFdInJvmTable(local, stack, false);
        long flags = cloneFlags(files, namespaces);
        int expectedPpid = parent.pids().forChild(namespaces);
        long pid;
        try {
            long sp = stack.prepare(code.trampoline(), expectedPpid, efd.server());
            pid = cloneIn(p, flags, sp, stack);
        } catch (SyscallHangup e) {
            // The parent died with the clone sent: it may have run, making a child whose server
            // would use the eventfd in this very table, perhaps without a parent-death signal.
            // If such a child exits when asked, everything it had is known — the eventfd, and the
            // pidfd the kernel stored — and released; if none does, they are left alone: a small
            // leak, rather than numbers a child may still use.
            if (endOrphan(local, stack, parent, e)) {
                if (stack.ptid() >= 0) {
                    closeQuietly(local, stack.ptid(), e);
                }
                efd.closeQuietly(local, e);
                freeQuietly(stack, e);
            }
            throw e;
        } catch (SyscallException | RuntimeException e) {
            // Not sent, or refused: no child was made.
            efd.closeQuietly(local, e);
            freeQuietly(stack, e);
            throw e;
        }
        ClonedChild child = Spawner.madeInJvmTable(local, parent, (int) pid, stack, efd, files);
        try {
            if (!files) {
                local.syscall(Sys.CLOSE, efd.server()); // the child has its copy
            }
            checkParentOutlivedTheClone(child, parent, expectedPpid);
            child.placeInPidNamespaces(namespaces);
        } catch (SyscallException | RuntimeException e) {
            // Its eventfd in the parent's table is in the JVM's: the dead parent cannot close it.
            int[] serverFds = child.takeServerFdsInParentTable();
            abandon(child, e);
            for (int fd : serverFds) {
                closeQuietly(local, fd, e);
            }
            throw e;
        }
        return child;
    }

    /** A clone in a child's server; a refusal names the flags asked. */
    private static long cloneIn(SyscallInterface p, long flags, long sp, ChildStack stack) throws SyscallException {
        try {
            return p.syscall(Sys.CLONE, flags, sp, stack.ptidAddress(), stack.ctidAddress(), 0);
        } catch (ErrnoException e) {
            throw e.withSubject(Namespaces.describe(flags));
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
}
