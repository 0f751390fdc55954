package io.rsyscall4j;

import io.rsyscall4j.api.Linux;
import static io.rsyscall4j.api.Linux.CLD_EXITED;
import static io.rsyscall4j.api.Linux.P_PID;
import static io.rsyscall4j.api.Linux.P_PIDFD;
import static io.rsyscall4j.api.Linux.SIGKILL;
import static io.rsyscall4j.api.Linux.WEXITED;

import io.rsyscall4j.api.Errno;
import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.api.SyscallSendError;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A process rsyscall4j made with {@code clone}, from its birth to its reaping: its pid, a pidfd in
 * the JVM's table, its memory, the connection to its syscall server, and the task that made it
 * (the only one that can reap it).
 *
 * <p>Nothing of it is released before the process is reaped: the pidfd names the process (and
 * not a reused pid) until then, and the memory is the process's stack until the kernel has
 * cleared its futex word.
 */
final class ClonedChild {
    private static final System.Logger LOG = System.getLogger(ClonedChild.class.getName());

    private final SyscallInterface local;
    private final ClonedChild parent;
    /** The pid in the JVM's pid namespace. */
    private volatile int pid;
    /** The pid in the parent's pid namespace (what its {@code clone} returned). */
    private volatile int pidInParent;
    /** The pid the process sees for itself ({@code getpid}). */
    private volatile int ownPid;
    private volatile boolean inJvmPidNamespace = true;
    /** Set by {@code unshare(CLONE_NEWPID)}: its next children are in a pid namespace it is not in. */
    private volatile boolean childrenInNewPidNamespace;
    private final int pidfd;
    private final ChildStack stack;
    private final ChildSyscallInterface sysif;
    private final int serverRequestFd;
    private final int serverAnswerFd;
    private boolean serverFdsInParentTable;
    private Integer status;

    /**
     * @param parent the child whose server made this one, or {@code null} when the JVM did
     * @param serverRequestFd the number the child's server reads requests from (the request pipe's
     *     read end), in the child's table
     * @param serverAnswerFd the number the child's server writes results to (the answer pipe's
     *     write end), in the child's table
     * @param sharesParentTable made with {@code CLONE_FILES}: then both server fds are open in the
     *     parent's table too (it is the same table), and closed there once the child is reaped,
     *     unless someone {@linkplain #takeServerFdsInParentTable takes} that over
     */
    ClonedChild(SyscallInterface local, ClonedChild parent, int pid, int pidfd, ChildStack stack,
            ChildSyscallInterface sysif, int serverRequestFd, int serverAnswerFd, boolean sharesParentTable) {
        this.local = local;
        this.parent = parent;
        this.pid = pid;
        this.pidInParent = pid;
        this.ownPid = pid;
        this.pidfd = pidfd;
        this.stack = stack;
        this.sysif = sysif;
        this.serverRequestFd = serverRequestFd;
        this.serverAnswerFd = serverAnswerFd;
        this.serverFdsInParentTable = sharesParentTable;
    }

    /** The pid in the JVM's pid namespace. */
    int pid() {
        return pid;
    }

    /**
     * The pid a child this process clones with the new namespaces {@code namespaces} will see as
     * its parent's ({@code getppid}): 0 when that child is in a pid namespace this process is not
     * in.
     */
    int parentPidForChild(long namespaces) {
        return (namespaces & Linux.CLONE_NEWPID) != 0 || childrenInNewPidNamespace ? 0 : ownPid;
    }

    /** This process unshared its pid namespace: its next children are in a new one. */
    void childrenInNewPidNamespace() {
        childrenInNewPidNamespace = true;
    }

    /**
     * Right after the clone, before the child is handed out: learns the pids of a child made in
     * (or under) another pid namespace than the JVM's, where {@code clone} returned the pid in the
     * parent's namespace: the JVM's is read from the pidfd's {@code fdinfo}, the child's own by
     * asking it.
     */
    void placeInPidNamespaces(long namespaces) throws SyscallException {
        boolean sameAsParent = parent == null
                ? (namespaces & Linux.CLONE_NEWPID) == 0
                : parent.parentPidForChild(namespaces) != 0;
        inJvmPidNamespace = sameAsParent && (parent == null || parent.inJvmPidNamespace);
        if (inJvmPidNamespace) {
            return;
        }
        if (parent != null && !parent.inJvmPidNamespace) {
            pid = pidOfPidfd(pidfd);
        }
        ownPid = sameAsParent ? pidInParent : (int) sysif.syscall(Sys.GETPID);
    }

    /** The child's pidfd, in the JVM's fd table. Valid until the child is reaped. */
    int pidfd() {
        return pidfd;
    }

    ChildSyscallInterface sysif() {
        return sysif;
    }

    ChildStack stack() {
        return stack;
    }

    /** The number the child's server reads its requests from, in the child's table. */
    int serverRequestFd() {
        return serverRequestFd;
    }

    /** The number the child's server writes its results to, in the child's table. */
    int serverAnswerFd() {
        return serverAnswerFd;
    }

    /**
     * Forgets the server's two fd numbers in the parent's table, for a caller that has taken over
     * closing them (or knows they are closed). Returns them, or no number if they were not (or no
     * longer) the parent's to close.
     */
    synchronized int[] takeServerFdsInParentTable() {
        if (!serverFdsInParentTable) {
            return new int[0];
        }
        serverFdsInParentTable = false;
        return new int[] {serverRequestFd, serverAnswerFd};
    }

    /** The pid, in the JVM's pid namespace, of the process of the JVM's pidfd {@code fd}. */
    private static int pidOfPidfd(int fd) throws SyscallException {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/fdinfo/" + fd))) {
                if (line.startsWith("Pid:")) {
                    return Integer.parseInt(line.substring(4).trim());
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            throw new SyscallSendError("reading the pid of pidfd " + fd + ": " + e, e);
        }
        throw new SyscallSendError("/proc/self/fdinfo/" + fd + " names no pid");
    }

    /** Sends {@code signal} through the pidfd: never to a reused pid. No-op once reaped. */
    synchronized void kill(int signal) throws SyscallException {
        if (status != null) {
            return;
        }
        try {
            local.syscall(Sys.PIDFD_SEND_SIGNAL, pidfd, signal, 0, 0);
        } catch (ErrnoException e) {
            if (e.errno() != Errno.ESRCH) {
                throw e;
            }
        }
    }

    /**
     * Waits for the process to end, reaps it and releases everything it held; returns its exit
     * status, or 128 + the signal that killed it (as a shell reports it). Later calls return the
     * same status.
     *
     * <p>The JVM reaps the children it made itself (through the pidfd: {@code waitid(P_PIDFD)});
     * a child's children can only be reaped by that child, so their {@code waitid} runs in the
     * parent's server. If the parent is gone too, the grandchild was reparented and reaped by init,
     * killed by its parent-death signal: that status (128 + SIGKILL) is reported.
     */
    synchronized int waitFor() throws SyscallException {
        if (status != null) {
            return status;
        }
        long info = stack.scratch();
        local.writeMemory(info, new byte[128], 0, 128);
        int result;
        if (parent == null) {
            while (true) {
                try {
                    local.syscall(Sys.WAITID, P_PIDFD, pidfd, info, WEXITED, 0);
                    break;
                } catch (ErrnoException e) {
                    if (e.errno() != Errno.EINTR) {
                        throw e.withSubject("pid " + pid);
                    }
                }
            }
            result = decode(info);
        } else {
            result = waitThroughParent(info);
        }
        status = result;
        release();
        return result;
    }

    private int waitThroughParent(long info) throws SyscallException {
        try {
            parent.sysif().syscall(Sys.WAITID, P_PID, pidInParent, info, WEXITED, 0);
            return decode(info);
        } catch (ErrnoException e) {
            if (e.errno() != Errno.ECHILD) {
                throw e.withSubject("pid " + pid);
            }
        } catch (SyscallException parentGone) {
            // the parent is gone; fall through
        }
        awaitPidfd();
        return 128 + SIGKILL;
    }

    /** Blocks until the pidfd is readable: the process has ended. */
    private void awaitPidfd() throws SyscallException {
        long pollfd = stack.scratch();
        byte[] b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(pidfd).putShort((short) 1).array();
        while (true) {
            local.writeMemory(pollfd, b, 0, 8);
            try {
                if (local.syscall(Sys.POLL, pollfd, 1, -1) > 0) {
                    return;
                }
            } catch (ErrnoException e) {
                if (e.errno() != Errno.EINTR) {
                    throw e;
                }
            }
        }
    }

    private int decode(long info) {
        int code = readInt(info, 8);
        int st = readInt(info, 24);
        return code == CLD_EXITED ? st : 128 + st;
    }

    private int readInt(long address, long offset) {
        byte[] b = new byte[4];
        local.readMemory(address + offset, b, 0, 4);
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    /**
     * After reaping: close the connection, the server's pipe ends left in the parent's table, the
     * pidfd, and unmap the stack. Failures are logged, not thrown: the process is gone and each
     * resource is released independently.
     */
    private void release() {
        try {
            sysif.close();
        } catch (SyscallException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "closing the connection to child " + pid, e);
        }
        for (int serverFd : takeServerFdsInParentTable()) {
            try {
                if (parent == null) {
                    local.syscall(Sys.CLOSE, serverFd);
                } else if (parent.sysif().isConnected()) {
                    parent.sysif().syscall(Sys.CLOSE, serverFd);
                }
            } catch (SyscallException | RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "closing child " + pid + "'s pipe end " + serverFd
                        + " in its parent's table", e);
            }
        }
        try {
            local.syscall(Sys.CLOSE, pidfd);
        } catch (SyscallException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "closing the pidfd of child " + pid, e);
        }
        try {
            stack.free();
        } catch (SyscallException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "unmapping the stack of child " + pid, e);
        }
        if (parent == null) {
            Spawner.childReaped(); // the spawner thread made it: it need not live for it any more
        }
    }

    @Override
    public String toString() {
        return "ClonedChild[pid " + pid + (parent == null ? "" : ", parent " + parent.pid) + "]";
    }
}
